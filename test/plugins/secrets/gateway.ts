/**
 * Test helpers for the secrets plugin: a gateway on a real loopback listener (port 0) over a
 * fresh database from the store suite's backends, with its log lines captured, and the
 * clients and roles the tests call as.
 */
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import pino from 'pino';
import type { Test } from 'tap';
import { NonceCache } from '../../../src/core/hawk.js';
import { localAuthenticator, parseAuthClients } from '../../../src/core/local-auth.js';
import type { Authenticate } from '../../../src/fastify/authorize.js';
import { secretsPlugin } from '../../../src/plugins/secrets/index.js';
import { generateKey, openSecretStore, type KeyRing, type SecretStore } from '../../../src/plugins/secrets/store/index.js';
import type { FreshDatabase } from './store/backend.js';
import { errorRenderer } from '../../../src/fastify/errors.js';

const token = (c: string) => c.repeat(44);

/** Everyone the tests call as: accessTokens are 44 characters like Taskcluster's. */
export const clients = {
  root: { clientId: 'root', accessToken: token('r'), scopes: ['*'] },
  reader: { clientId: 'project/reader', accessToken: token('g'), scopes: ['secrets:get:project/foo/*', 'secrets:list-secrets'] },
  writer: { clientId: 'project/writer', accessToken: token('w'), scopes: ['secrets:set:project/foo/*', 'secrets:get:project/foo/*'] },
  issuer: { clientId: 'project/issuer', accessToken: token('i'), scopes: ['secrets:*', 'auth:create-client:project/named/*'] },
  teamMember: { clientId: 'team/member', accessToken: token('t'), scopes: ['assume:project-admin:team1'] },
  auditor: { clientId: 'auditor', accessToken: token('a'), scopes: ['auth:audit-history:secret'] },
  provisioner: { clientId: 'provisioner', accessToken: token('p'), scopes: ['secrets:bootstrap:create'] },
};

export const roles = [
  { roleId: 'anonymous', scopes: ['secrets:get:public/*'] },
  { roleId: 'project-admin:*', scopes: ['secrets:get:team/<..>/*', 'secrets:set:team/<..>/*'] },
];

export const clientsFile = { clients: Object.values(clients), roles };

export function testKeys(): KeyRing {
  return { keys: [generateKey()] };
}

export function localAuth(): Authenticate {
  return localAuthenticator(parseAuthClients(JSON.stringify(clientsFile), 'test clients'), new NonceCache());
}

export interface TestGateway {
  /** http://127.0.0.1:<port>: the rootUrl for taskcluster-client. */
  rootUrl: string;
  store: SecretStore;
  /** Every log line written, parsed. */
  logs: Array<Record<string, unknown>>;
  /** The raw log text (to grep for values that must never be there). */
  logText(): string;
}

export interface GatewayOptions {
  authenticate?: Authenticate;
  keys?: KeyRing;
  trustedProxies?: string[];
}

export async function startGateway(t: Test, db: FreshDatabase, options: GatewayOptions = {}): Promise<TestGateway> {
  const store = await openSecretStore(db.url, options.keys ?? testKeys(), db.options);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const app = Fastify({ loggerInstance: pino({ level: 'info' }, sink) });
  // the app's one error renderer, which every capability plugin depends on
  await app.register(errorRenderer);
  await app.register(secretsPlugin, { store, authenticate: options.authenticate ?? localAuth(), trustedProxies: options.trustedProxies ?? [] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => {
    await app.close();
    await store.close();
  });
  const { port } = app.server.address() as { port: number };
  return {
    rootUrl: `http://127.0.0.1:${port}`,
    store,
    get logs() {
      return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    logText: () => lines.join('\n'),
  };
}

/** The audit lines logged, as {action, name, clientId, outcome}. */
export function auditLines(gateway: TestGateway): Array<Record<string, unknown>> {
  return gateway.logs.filter((l) => l.audit).map((l) => {
    const { action, name, clientId, outcome } = l.audit as Record<string, unknown>;
    return { action, name, clientId, outcome };
  });
}
