/**
 * One large transfer, its own process: `down` GETs <url>?bytes=N and drains it, `up` PUTs N
 * bytes (Content-Length set, 1 MiB writes honouring backpressure). Bounded by a 120 s timeout.
 * Usage: stream-client.ts down|up <url> <bytes>. Prints JSON: bytes moved, seconds, MiB/s.
 */
import { request } from 'node:http';

const [direction, url, bytesArg] = process.argv.slice(2);
const bytes = Number(bytesArg);
const CHUNK = Buffer.alloc(1024 * 1024, 'b');
const started = performance.now();

const moved = await new Promise<number>((resolve, reject) => {
  const target = new URL(url!);
  if (direction === 'down') target.searchParams.set('bytes', String(bytes));
  const req = request(target, {
    method: direction === 'down' ? 'GET' : 'PUT',
    agent: false,
    timeout: 120_000,
    headers: direction === 'up' ? { 'content-length': bytes, 'content-type': 'application/octet-stream' } : {},
  }, (res) => {
    let received = 0;
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (direction === 'up') chunks.push(chunk);
    });
    res.on('end', () => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      resolve(direction === 'down' ? received : Number(JSON.parse(Buffer.concat(chunks).toString()).received));
    });
  });
  req.on('timeout', () => req.destroy(new Error('timed out')));
  req.on('error', reject);
  if (direction === 'down') return void req.end();
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= chunk.length;
      if (!req.write(chunk)) return void req.once('drain', pump);
    }
    req.end();
  };
  pump();
});
const seconds = (performance.now() - started) / 1000;
if (moved !== bytes) throw new Error(`moved ${moved} of ${bytes} bytes`);
process.stdout.write(JSON.stringify({ bytes: moved, seconds, mibPerSec: moved / 1048576 / seconds }) + '\n');
