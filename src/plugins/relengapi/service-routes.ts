/**
 * Which RelengAPI service a request is for: a path prefix (`/tooltool`) names a base URL, and the
 * rest of the raw path and query is appended to it untouched (no decoding, no dot-segment
 * normalisation), as the original's prefix stripping did.
 */
import { ConfigError } from '../../config/settings.js';
import { redactUrl } from '../../log.js';
import type { ForwardTarget } from '../../net/forwarder/forwarder.js';

export interface ServiceRoute {
  /** Path prefix: one or more `/segment`s, without a trailing `/`. */
  prefix: string;
  /** `http(s)://host[:port]` the request goes to. */
  origin: string;
  /** Path of the base URL ('' for none), without a trailing `/`. */
  basePath: string;
}

export interface UpstreamTarget extends ForwardTarget {
  route: ServiceRoute;
}

/** Parse `'/prefix=https://base'` entries; ConfigError naming `setting` when one is malformed. */
export function parseServiceRoutes(entries: readonly string[], setting: string): ServiceRoute[] {
  const routes: ServiceRoute[] = [];
  for (const entry of entries) {
    const separator = entry.indexOf('=');
    const prefix = separator > 0 ? entry.slice(0, separator).replace(/\/+$/, '') : '';
    const base = separator > 0 ? entry.slice(separator + 1) : '';
    // quoted without a base URL's user:password@ (the refusal reaches stderr, or the log on a reload)
    const quoted = redactUrl(entry);
    // plain path characters only: the prefix becomes a Fastify route, where `:` and `*` mean parameters
    if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(prefix)) {
      throw new ConfigError(`${setting}: '${quoted}' is not '/<prefix>=<base URL>' (a prefix is one or more /segments of letters, digits, '.', '_', '~', '-')`);
    }
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      throw new ConfigError(`${setting}: '${quoted}' has no valid base URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${setting}: '${quoted}' must use http or https`);
    if (url.search || url.hash) throw new ConfigError(`${setting}: '${quoted}' base URL must not have a query or fragment`);
    if (routes.some((route) => route.prefix === prefix)) throw new ConfigError(`${setting}: prefix ${prefix} is given twice`);
    routes.push({ prefix, origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') });
  }
  if (routes.length === 0) throw new ConfigError(`${setting}: at least one route is needed`);
  return routes;
}

/**
 * The upstream for a raw request URL, or undefined when no prefix matches. A prefix matches whole
 * segments only (`/tooltool` takes `/tooltool`, `/tooltool/x`, `/tooltool?q`, never `/tooltoolx`);
 * the longest matching prefix wins.
 */
export function resolveUpstream(routes: readonly ServiceRoute[], rawUrl: string): UpstreamTarget | undefined {
  let best: ServiceRoute | undefined;
  for (const route of routes) {
    if (!rawUrl.startsWith(route.prefix)) continue;
    const next = rawUrl.charAt(route.prefix.length);
    if (next !== '' && next !== '/' && next !== '?') continue;
    if (!best || route.prefix.length > best.prefix.length) best = route;
  }
  if (!best) return undefined;
  const rest = rawUrl.slice(best.prefix.length);
  const path = best.basePath + rest;
  return { route: best, origin: best.origin, path: path.startsWith('/') ? path : `/${path}`, label: `RelengAPI service ${best.prefix} (${best.origin})` };
}
