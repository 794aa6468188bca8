/**
 * The request body as it goes upstream. A body up to the buffer limit is held in memory so a
 * failed attempt can be replayed (corrections.md, Retries); a larger one streams through in
 * constant memory and is sent once, never retried.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export type OutgoingBody =
  | { replayable: true; data: Buffer | undefined }
  /** length: the client's Content-Length, forwarded; undefined when it sent chunked. */
  | { replayable: false; stream: Readable; length: string | undefined };

/** A request without a body: sent without one, at once (no reading, no waiting). */
export const NO_BODY: OutgoingBody = { replayable: true, data: undefined };

async function* concat(head: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/** Read the body (of a request that hasBody) up to `limit` bytes; beyond that, hand back a stream of all of it. */
export async function prepareBody(req: IncomingMessage, limit: number): Promise<OutgoingBody> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return { replayable: false, stream: req, length: declared };
  const chunks: Buffer[] = [];
  let size = 0;
  const source = (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  for (let next = await source.next(); !next.done; next = await source.next()) {
    chunks.push(next.value);
    size += next.value.length;
    // chunked bodies announce no length: the limit is found by reading
    if (size > limit) return { replayable: false, stream: Readable.from(concat(chunks, source), { objectMode: false }), length: declared };
  }
  return { replayable: true, data: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) };
}
