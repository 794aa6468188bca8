/**
 * The headers of an answer the proxy passes on: the upstream's that may cross
 * (src/net/hop-headers.ts), then the proxy's own, which an upstream cannot set for it.
 */
import { forwardableRawHeaders, hopByHopAnd } from '../../net/hop-headers.js';

/** Hop-by-hop headers, and those the proxy sets on every answer itself: an upstream's are not passed on. */
const DROPPED = hopByHopAnd(['x-taskcluster-proxy-version', 'x-taskcluster-proxy-revision', 'x-taskcluster-proxy-perm-clientid', 'x-taskcluster-proxy-temp-clientid', 'x-taskcluster-proxy-temp-scopes', 'x-taskcluster-authorized-scopes', 'x-taskcluster-endpoint']);

/**
 * The upstream's raw response headers (name, value, name, value...) to pass back to the client,
 * followed by the proxy's own and the endpoint, as one flat list for writeHead.
 */
export function clientResponseHeaders(raw: readonly Buffer[], own: readonly string[], endpoint: string): string[] {
  const out = forwardableRawHeaders(raw, DROPPED);
  for (const value of own) out.push(value);
  out.push('x-taskcluster-endpoint', endpoint);
  return out;
}
