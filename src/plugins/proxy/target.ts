/**
 * Where a request to the proxy goes, from its escaped path and raw query, as taskcluster-proxy
 * routes (../../../../shared/reference/taskcluster-proxy.md):
 *   /api/<service>/<version>/<rest>  → <rootUrl>/api/<service>/<version>/<rest>
 *   /<host.with.dots>/<rest>         → https://<host.with.dots>/<rest>
 *   /<service>/<version>/<rest>      → <rootUrl>/api/<service>/<version>/<rest>
 * The escaped bytes are never decoded: `%2F`, `%252F` and `//` reach the upstream as sent.
 * API URLs follow taskcluster-lib-urls, including the legacy https://taskcluster.net form.
 */
import { GatewayError } from '../../core/errors.js';
import { defaultPort } from '../../core/hawk.js';
import { quotedPath } from '../../fastify/errors.js';
import { redactUrl } from '../../log.js';
import type { ForwardTarget } from '../../net/forwarder/forwarder.js';

/** Where a request goes (its origin is also its label), and what its Hawk MAC covers. */
export interface Target extends ForwardTarget {
  /** Lower-case host name and port, as the Hawk MAC covers them. */
  host: string;
  port: number;
  /** The full target URL (X-Taskcluster-Endpoint). */
  url: string;
}

const API_PATH = /^\/api\/([^/]*)\/([^/]*)\/(.*)$/;
const HOSTNAME = /^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$/;
const LEGACY_ROOT_URL = 'https://taskcluster.net';

interface Origin {
  origin: string;
  host: string;
  port: number;
}

function originOf(url: URL): Origin {
  return { origin: url.origin, host: url.hostname.toLowerCase(), port: url.port ? Number(url.port) : defaultPort(url.protocol) };
}

function target(origin: Origin, path: string): Target {
  return { origin: origin.origin, label: origin.origin, host: origin.host, port: origin.port, path, url: origin.origin + path };
}

/** A service (or host) name from the path: a valid DNS name, else 404. */
function checkServiceName(service: string): void {
  // a DNS name has at most 253 characters; longer ones would only make the pattern work hard
  if (service.length > 253 || !HOSTNAME.test(service)) throw new GatewayError('ResourceNotFound', `${quotedPath(service.slice(0, 253))} is not a valid taskcluster service`);
}

/** A hostname allow-list entry: an exact name, or `*.suffix` for any name under suffix; host in lower case, entries in any. */
function hostAllowed(allowed: readonly string[], host: string): boolean {
  if (allowed.length === 0) return true;
  return allowed.some((given) => {
    const entry = given.toLowerCase();
    return entry.startsWith('*.') ? host.endsWith(entry.slice(1)) : host === entry;
  });
}

export class TargetResolver {
  private readonly root: Origin | undefined;
  /** Path of the root URL without trailing slashes (normally ''). */
  private readonly rootPath: string;
  /** Held, not copied: read at each request, so a reload that replaces its entries applies to the requests after it. */
  private readonly allowedHosts: readonly string[];

  /** rootUrl: the deployment's root URL; allowedHosts: names (or `*.suffix`) the hostname form may reach, [] = any. */
  constructor(rootUrl: string, allowedHosts: readonly string[] = []) {
    const cleaned = rootUrl.replace(/\/*$/, '');
    const url = new URL(cleaned);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`must be an http(s) URL: ${redactUrl(rootUrl)}`);
    this.root = cleaned === LEGACY_ROOT_URL ? undefined : originOf(url);
    this.rootPath = url.pathname.replace(/\/*$/, '');
    this.allowedHosts = allowedHosts;
  }

  /** Target for a request URL as received (path and query, escaped); throws 404/403 GatewayErrors. */
  resolve(rawUrl: string): Target {
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? '' : rawUrl.slice(q);
    if (path.startsWith('/api/')) {
      const match = API_PATH.exec(path);
      if (!match) throw new GatewayError('ResourceNotFound', 'invalid /api path: expected /api/<service>/<version>/<path>');
      return this.api(match[1]!, match[2]!, match[3]! + query);
    }
    const slash = path.indexOf('/', 1);
    const service = slash < 0 ? path.slice(1) : path.slice(1, slash);
    const rest = slash < 0 ? '' : path.slice(slash);
    checkServiceName(service);
    if (service.includes('.')) {
      const host = service.toLowerCase();
      if (!hostAllowed(this.allowedHosts, host)) throw new GatewayError('ForbiddenRequest', `${host} is not in the proxy's allowed hosts`);
      return target({ origin: `https://${host}`, host, port: 443 }, (rest || '/') + query);
    }
    const versionEnd = rest.indexOf('/', 1);
    const version = versionEnd < 0 ? rest.slice(1) : rest.slice(1, versionEnd);
    if (!version) throw new GatewayError('ResourceNotFound', `missing API version: expected /${service}/<version>/<path>`);
    return this.api(service, version, versionEnd < 0 ? query : rest.slice(versionEnd + 1) + query);
  }

  /** taskcluster-lib-urls `api(rootUrl, service, version, path)`: leading slashes of path dropped. */
  private api(service: string, version: string, pathAndQuery: string): Target {
    const cleanPath = pathAndQuery.replace(/^\/*/, '');
    if (!this.root) {
      // the service names a host here: never let the path pick where credentials are sent
      checkServiceName(service);
      const host = `${service}.taskcluster.net`.toLowerCase();
      return target({ origin: `https://${host}`, host, port: 443 }, `/${version}/${cleanPath}`);
    }
    return target(this.root, `${this.rootPath}/api/${service}/${version}/${cleanPath}`);
  }
}
