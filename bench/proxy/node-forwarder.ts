/**
 * The Node ceiling of performance.md, its own process: node:http in front of an undici Pool,
 * each request signed with the core's HawkSigner (one `hawk.crypto.calculateMac` per request,
 * the header string assembled around it). Bodies stream both ways; no routing, no framework.
 * Usage: node-forwarder.ts <upstream port>. Prints `{"port": N}` once listening.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';
import { HawkSigner } from '../../src/core/hawk.js';
import { BENCH_CREDENTIALS, HOP_BY_HOP } from './shared.js';

const upstreamPort = Number(process.argv[2]);
const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 64, pipelining: 1 });
const signer = new HawkSigner(BENCH_CREDENTIALS);

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

const server = createServer((req, res) => {
  const method = req.method ?? 'GET';
  const path = req.url ?? '/';
  const headers = forwardable(req.headers);
  headers.host = `127.0.0.1:${upstreamPort}`;
  headers.authorization = signer.header({ method, host: '127.0.0.1', port: upstreamPort, resource: path });
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool.request({ method, path, headers, body: hasBody ? req : null }).then(
    (upstream) => {
      res.writeHead(upstream.statusCode, forwardable(upstream.headers));
      // pipe, not stream.pipeline: pipeline allocates an AbortController and throws away a
      // DOMException per call, which cost this forwarder ~40% of its requests/s here.
      upstream.body.on('error', () => res.destroy());
      res.on('close', () => upstream.body.destroy());
      upstream.body.pipe(res);
    },
    () => res.writeHead(502).end(),
  );
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
