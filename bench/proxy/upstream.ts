/**
 * The benchmark's upstream, its own process: a node:http server on 127.0.0.1 answering
 * - GET …/download?bytes=N: N bytes streamed (1 MiB chunks, honouring backpressure);
 * - any request with a body: the body drained, `{"received": N}`;
 * - anything else: the same 220-byte JSON body (a task status, the size performance.md used).
 * `x-saw-authorization` says whether a Hawk header arrived, so the bench can check each path signs.
 * Prints `{"port": N}` once listening.
 */
import { createServer } from 'node:http';

const STATUS = JSON.stringify({
  status: {
    taskId: 'fN1SbArXTPSVFNUvaOlinQ', provisionerId: 'proj-bench', workerType: 'linux', schedulerId: '-',
    taskGroupId: 'fN1SbArXTPSVFNUvaOlinQ', deadline: '2026-11-24T20:00:00.000Z', state: 'completed', pad: '',
  },
});
export const SMALL_BODY = Buffer.from(STATUS.replace('"pad":""', `"pad":"${'x'.repeat(220 - STATUS.length)}"`));
if (SMALL_BODY.length !== 220) throw new Error(`small body is ${SMALL_BODY.length} bytes`);
const CHUNK = Buffer.alloc(1024 * 1024, 'a');

function download(bytes: number, res: import('node:http').ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes });
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

const server = createServer((req, res) => {
  const signed = req.headers.authorization?.startsWith('Hawk ') ? 'hawk' : 'none';
  res.setHeader('x-saw-authorization', signed);
  const url = req.url ?? '/';
  if (req.method === 'GET' && url.includes('/download')) return download(Number(new URL(url, 'http://x').searchParams.get('bytes')), res);
  if (req.headers['content-length'] || req.headers['transfer-encoding']) {
    let received = 0;
    req.on('data', (chunk: Buffer) => { received += chunk.length; });
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received })));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': SMALL_BODY.length }).end(SMALL_BODY);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
