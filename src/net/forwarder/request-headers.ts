/**
 * The headers a request takes upstream. Hop-by-hop headers never cross (src/net/hop-headers.ts);
 * nor do the client's Host (the target's is the upstream's own) and Authorization (each attempt
 * carries the plugin's credentials instead), nor Expect (node's server answered it already, and
 * undici refuses to send it).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { forwardableHeaders } from '../hop-headers.js';

/** Request headers not forwarded; content-length is set again when the body streams through. */
const REQUEST_DROPPED = new Set(['host', 'authorization', 'content-length', 'expect']);

/**
 * Headers to send upstream (without Authorization, added per attempt). `streamedLength`: the
 * client's Content-Length of a body that streams through (a held one has its length from undici).
 * A body sent without a Content-Type gets `defaultContentType` when there is one.
 */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, streamedLength: string | undefined, hasBody: boolean, defaultContentType: string | undefined): Record<string, string | string[]> {
  const out = forwardableHeaders(headers, REQUEST_DROPPED);
  if (streamedLength !== undefined) out['content-length'] = streamedLength;
  if (hasBody && defaultContentType !== undefined && headers['content-type'] === undefined) out['content-type'] = defaultContentType;
  return out;
}
