/**
 * The stock reference of performance.md, its own process: @fastify/http-proxy (undici pool of
 * 64) signing through `rewriteRequestHeaders` and `hawk.client.header`, as an app would out of
 * the box. Usage: fastify-http-proxy.ts <upstream port>. Prints `{"port": N}` once listening.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';
import hawk from 'hawk';
import { BENCH_CREDENTIALS } from './shared.js';

const upstream = `http://127.0.0.1:${Number(process.argv[2])}`;
const credentials = { id: BENCH_CREDENTIALS.clientId, key: BENCH_CREDENTIALS.accessToken, algorithm: 'sha256' as const };
const app = Fastify({ logger: false });
await app.register(proxy, {
  upstream,
  undici: { connections: 64, pipelining: 1 },
  replyOptions: {
    rewriteRequestHeaders: (request, headers) => ({
      ...headers,
      authorization: hawk.client.header(upstream + request.url, request.method, { credentials }).header,
    }),
  },
});
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(JSON.stringify({ port: (app.server.address() as AddressInfo).port }) + '\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
