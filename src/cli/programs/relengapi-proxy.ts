/**
 * `relengapi-proxy`: the gateway as a drop-in for taskcluster/relengapi-proxy, serving only the
 * relengapi plugin on all interfaces (the original ran alone in a container linked to the task's).
 *   relengapi-proxy [flags] -- <taskId>
 * The original's flags, as docker-worker passed them (`--relengapi-token=<token> -- <taskId>`),
 * plus every setting of the relengapi capability (token file, token URL, service routes, root URL).
 */
import { relengapiModule } from '../../plugins/relengapi/capability.js';
import { redactUrl } from '../../log.js';
import { versionInfo } from '../../routes/dockerflow.js';
import { UsageError, type ParsedArgs } from '../args.js';
import type { Program } from '../program.js';

/** The value as typed, with a userinfo's password or a query's token masked as redactUrl masks them. */
function typedRedacted(host: string): string {
  return host.includes('://') ? redactUrl(host) : redactUrl(`https://${host}`).slice('https://'.length);
}

/** Before its tokens service moved, RelengAPI issued tokens at <host>/tokenauth/tokens, over https. */
function tokenUrlOfHost(host: string): string {
  const base = host.includes('://') ? host : `https://${host}`;
  const tokenUrl = `${base.replace(/\/+$/, '')}/tokenauth/tokens`;
  // a host and nothing else: a path, query, fragment or userinfo would send the permanent token elsewhere
  let parsed: URL | undefined;
  try {
    parsed = new URL(tokenUrl);
  } catch {
    // refused below
  }
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.username || parsed.password || parsed.search || parsed.hash || parsed.pathname !== '/tokenauth/tokens') {
    throw new UsageError(`--relengapi-host: expected a host name (<host>[:<port>], or http(s)://<host>[:<port>]), got ${JSON.stringify(typedRedacted(host))}`);
  }
  return tokenUrl;
}

export const relengapiProxyProgram: Program = {
  name: 'relengapi-proxy',
  summary: 'RelengAPI authentication proxy: attaches a temporary RelengAPI token to every request it forwards to RelengAPI services. '
    + 'The token holds the permissions named by the task\'s scopes docker-worker:relengapi-proxy:<permission>, and is issued with the '
    + 'permanent token given here, so it can never hold more than that one.',
  usage: ['[flags] -- <taskId>', '-h|--help', '--version'],
  modules: [relengapiModule],
  // a per-task sidecar as taskcluster-proxy is: metrics and API documents only with an admin listener
  instrumentation: 'with-admin',
  fixed: { plugins: ['relengapi'], listeners: [] },
  // the original answered the task's container across the docker network
  defaults: { ipAddress: '' },
  names: { port: { flag: 'port', short: 'p' } },
  // the task is the positional; the proxy signs no Taskcluster request and verifies none, keeps
  // no embedded state, and FORCE_SSL and TRUST_PROXY are host-secrets' alone
  hidden: ['relengapi.taskId', 'taskcluster.clientId', 'taskcluster.accessToken', 'taskcluster.certificate', 'taskcluster.authorizedScopes',
    'allowedUser', 'allowedNetwork', 'redis', 'trustedProxies', 'forceSsl', 'trustProxy', 'dataDir', 'publicUrl'],
  own: [{ flag: 'relengapi-host', type: 'string', value: '<host>', doc: 'Token endpoint https://<host>/tokenauth/tokens (older RelengAPI); --relengapi-url wins' }],
  positionals: { name: '<taskId>', min: 1, max: 1 },
  version: () => `RelengAPI proxy ${versionInfo.version}`,
  settings(parsed: ParsedArgs) {
    const host = parsed.own['relengapi-host'];
    const tokenUrl = typeof host === 'string' && !('relengapi.tokenUrl' in parsed.settings) ? { 'relengapi.tokenUrl': tokenUrlOfHost(host) } : {};
    return { 'relengapi.taskId': parsed.positionals[0], ...tokenUrl };
  },
};
