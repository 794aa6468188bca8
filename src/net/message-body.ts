/** Whether an HTTP request carries a body, as its framing headers say. Shared by every forwarding plugin. */
import type { IncomingMessage } from 'node:http';

/** True when the client sends a body: chunked, or a Content-Length other than 0. */
export function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
