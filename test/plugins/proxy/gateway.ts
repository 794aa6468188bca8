// A gateway for tests: the proxy, bewit and credentials plugins on one loopback listener, as
// server.ts composes them, sharing one credential holder.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/log.js';
import { CredentialHolder, createTemporaryCredentials, type ClientRecord, type Credentials } from '../../../src/core/index.js';
import { errorRenderer } from '../../../src/fastify/errors.js';
import { bewitPlugin } from '../../../src/plugins/bewit/index.js';
import { credentialsPlugin } from '../../../src/plugins/credentials/index.js';
import { proxyPlugin, type ProxyPluginOptions } from '../../../src/plugins/proxy/index.js';

export interface TestGateway {
  url: string;
  app: FastifyInstance;
  holder: CredentialHolder;
  close(): Promise<void>;
}

/** Retries fast enough for tests: a few ms apart, giving up within half a second. */
export const QUICK_RETRY = { initialMs: 5, multiplier: 1.5, randomization: 0.5, maxIntervalMs: 20, maxElapsedMs: 500 };

export async function startGateway(options: {
  rootUrl: string;
  credentials: Credentials;
  authorizedScopes?: string[];
  proxy?: Partial<ProxyPluginOptions>;
  bewitTtlSec?: number;
  /** Collects the gateway's log lines, parsed (logging at info, as deployed); none by default. */
  logLines?: Array<Record<string, unknown>>;
}): Promise<TestGateway> {
  const holder = new CredentialHolder(options.credentials, { authorizedScopes: options.authorizedScopes });
  const lines = options.logLines;
  const app = lines
    ? Fastify({ loggerInstance: createLogger('info', new Writable({ write: (chunk, _e, done) => { lines.push(JSON.parse(String(chunk))); done(); } })) as FastifyBaseLogger })
    : Fastify({ logger: false });
  await app.register(errorRenderer);
  await app.register(credentialsPlugin, { holder });
  await app.register(bewitPlugin, { holder, ttlSec: options.bewitTtlSec });
  await app.register(proxyPlugin, { holder, rootUrl: options.rootUrl, retry: QUICK_RETRY, ...options.proxy });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, app, holder, close: () => app.close() };
}

/** Permanent clients of the fake deployment. */
export const clients = {
  worker: { clientId: 'project/worker', accessToken: 'w'.repeat(22) + 'W'.repeat(22), scopes: ['queue:*', 'secrets:get:*'] },
  other: { clientId: 'project/other', accessToken: 'o'.repeat(22) + 'O'.repeat(22), scopes: ['queue:*'] },
} satisfies Record<string, ClientRecord>;

export const permanent = (client: ClientRecord): Credentials => ({ clientId: client.clientId, accessToken: client.accessToken });

export function temporary(client: ClientRecord, scopes: string[]): Credentials {
  const start = new Date(Date.now() - 60_000);
  return createTemporaryCredentials({ start, expiry: new Date(start.getTime() + 3_600_000), scopes, credentials: permanent(client) });
}
