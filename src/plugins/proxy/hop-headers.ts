/**
 * Which headers cross the proxy. Hop-by-hop headers never cross (src/net/hop-headers.ts). The client's Host and Authorization
 * never go upstream: the target's host is the upstream's own and the Hawk signature replaces any
 * Authorization the client sent.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { connectionListed, forwardableHeaders, HOP_BY_HOP } from '../../net/hop-headers.js';

/** Request headers not forwarded; content-length is set again when the body streams through. */
const REQUEST_DROPPED = new Set(['host', 'authorization', 'content-length', 'expect']);

/**
 * Headers to send upstream (without Authorization, added per attempt). A body sent without a
 * Content-Type gets application/json, as taskcluster-proxy does (Taskcluster issue #3521).
 */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, streamedLength: string | undefined, hasBody: boolean): Record<string, string | string[]> {
  const out = forwardableHeaders(headers, REQUEST_DROPPED);
  if (streamedLength !== undefined) out['content-length'] = streamedLength;
  if (hasBody && headers['content-type'] === undefined) out['content-type'] = 'application/json';
  return out;
}

/** Headers the proxy sets on every answer itself: an upstream's are not passed on. */
const PROXY_OWN = ['x-taskcluster-proxy-version', 'x-taskcluster-proxy-revision', 'x-taskcluster-proxy-perm-clientid', 'x-taskcluster-proxy-temp-clientid', 'x-taskcluster-proxy-temp-scopes', 'x-taskcluster-authorized-scopes', 'x-taskcluster-endpoint'];
const RESPONSE_DROPPED = new Set([...HOP_BY_HOP, ...PROXY_OWN]);

/**
 * The upstream's raw response headers (name, value, name, value...) to pass back to the client,
 * followed by the proxy's own and the endpoint, as one flat list for writeHead.
 */
export function clientResponseHeaders(raw: readonly Buffer[], own: readonly string[], endpoint: string): string[] {
  const out: string[] = [];
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toString('latin1').toLowerCase() === 'connection') listed = connectionListed(raw[i + 1]!.toString('latin1'));
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const lower = name.toLowerCase();
    if (RESPONSE_DROPPED.has(lower) || listed?.has(lower)) continue;
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  for (const value of own) out.push(value);
  out.push('x-taskcluster-endpoint', endpoint);
  return out;
}
