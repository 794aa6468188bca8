import Fastify from 'fastify';
import { CredentialHolder } from '../../../src/core/index.js';
import { proxyPlugin } from '../../../src/plugins/proxy/index.js';
import { BENCH_CREDENTIALS } from '../../../bench/proxy/shared.js';
const app = Fastify({ logger: process.env.LOG === '1' ? { level: 'info' } : false });
await app.register(proxyPlugin, { holder: new CredentialHolder(BENCH_CREDENTIALS), rootUrl: `http://127.0.0.1:${process.argv[2]}` });
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(JSON.stringify({ port: (app.server.address() as any).port }) + '\n');
process.on('SIGTERM', () => process.exit(0));
