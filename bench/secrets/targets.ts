/**
 * The secrets bench's servers (bench/secrets.bench.ts, bench/secrets/profile-target.ts): one
 * Fastify app per store, built as the gateway builds a listener, and the wrk scripts replaying
 * signed headers at them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { HawkSigner, NonceCache, verifyRequest } from '../../src/core/hawk.js';
import { localAuthenticator, parseAuthClients } from '../../src/core/local-auth.js';
import type { Authenticate } from '../../src/fastify/authorize.js';
import { createLogger } from '../../src/log.js';
import { secretsPlugin } from '../../src/plugins/secrets/index.js';
import { gatewayApp } from '../../src/server.js';
import type { SecretStore } from '../../src/plugins/secrets/store/index.js';

export const POSTGRES_URL = process.env.GATEWAY_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

export const SECRET_NAME = 'project/bench/db-password';
export const SECRET_PATH = `/api/secrets/v1/secret/${encodeURIComponent(SECRET_NAME)}`;
export const reader = { clientId: 'bench/reader', accessToken: 'b'.repeat(44), scopes: ['secrets:get:project/bench/*'] };
export interface Target { name: string; store: SecretStore; app: FastifyInstance<any, any, any, any>; port: number }

export const SECRET = { username: 'bench', password: 'x'.repeat(32), host: 'db.example.com', port: 5432 };
export const readers = () => parseAuthClients(JSON.stringify({ clients: [reader], roles: [] }), 'bench');

export async function startTarget(name: string, store: SecretStore, authenticate: Authenticate = localAuthenticator(readers(), new NonceCache())): Promise<Target> {
  // built as the gateway builds a listener, logging as deployed (info, redacted: one line per
  // request, the audit record on it), written to /dev/null
  const app = await gatewayApp(createLogger('info', pino.destination({ dest: '/dev/null', sync: false })), name);
  await app.register(secretsPlugin, { store, authenticate });
  await app.listen({ host: '127.0.0.1', port: 0 });
  await store.put(SECRET_NAME, SECRET, new Date(Date.now() + 86_400_000), 'bench');
  return { name, store, app, port: (app.server.address() as { port: number }).port };
}

/** What the route floor keeps constant: both (the floor itself), or one, to weigh the other alone. */
export type FloorConstants = 'caller and record' | 'caller' | 'record';

/**
 * The same route with what makes it a signed read replaced by constants: every caller is the
 * reader, unchecked, and the store answers one record from memory. What is left (Fastify,
 * routing, the scope check, the audit record, the answer) bounds what any verifier and store
 * could reach against the same ping. With only the caller constant, the row above the floor is
 * the store's share; with only the record, Hawk verification's (nonce cache included).
 */
export async function startRouteFloor(store: SecretStore, constants: FloorConstants = 'caller and record'): Promise<Target> {
  const caller = { ...(await verifyRequest({ method: 'GET', resource: '/', host: 'bench', port: 1 }, readers())), clientId: reader.clientId, scopes: reader.scopes };
  const record = { name: SECRET_NAME, secret: SECRET, expires: new Date(Date.now() + 86_400_000) };
  const constantStore: SecretStore = Object.assign(Object.create(store) as SecretStore, { get: async () => record });
  return startTarget(constants === 'caller and record' ? 'route floor' : `route floor, ${constants} constant`, constants === 'caller' ? store : constantStore, constants === 'record' ? undefined : async () => caller);
}

/** A Lua script replaying `count` distinct signed headers for GET <path> on 127.0.0.1:<port>. */
export function signedScript(dir: string, port: number, count: number, tag = ''): string {
  const signer = new HawkSigner(reader);
  const headers: string[] = [];
  for (let i = 0; i < count; i++) headers.push(`[[${signer.header({ method: 'GET', host: '127.0.0.1', port, resource: SECRET_PATH })}]]`);
  const file = join(dir, `signed-${port}${tag}.lua`);
  writeFileSync(file, [
    `local headers = {\n${headers.join(',\n')}\n}`,
    // SKIP=<n> starts past the headers an earlier run on this script used (a replayed one is a 401)
    'local i = tonumber(os.getenv("SKIP") or "0")',
    'request = function()',
    '  i = i % #headers + 1',
    `  return wrk.format("GET", "${SECRET_PATH}", { ["Authorization"] = headers[i] })`,
    'end',
  ].join('\n'));
  return file;
}

