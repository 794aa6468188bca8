/**
 * The relengapi plugin as the gateway runs it: settings validated by convict from its own schema
 * section (plus the core's taskcluster section), `create` with its services, and the plugin on a
 * Fastify listener whose pino logs are captured. Other plugins stay out of it.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Test } from 'tap';
import convict from 'convict';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { coreSchema, type CoreSettings } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/log.js';
import type { CreatedPlugin, GatewayServices } from '../../../src/fastify/capability.js';
import { relengapiModule } from '../../../src/plugins/relengapi/capability.js';
import { startFakeRelengapi, type FakeRelengapiOptions } from '../../helpers/fake-relengapi.js';
import { startFakeTaskcluster } from '../../helpers/fake-taskcluster.js';
import { errorRenderer } from '../../../src/fastify/errors.js';
import { TrustedProxies } from '../../../src/net/trusted-proxies.js';

export const PERMANENT_TOKEN = 'permanent-relengapi-token-never-logged';
export const TASK_ID = 'fN1SbArXTPSVFNUvaOlinQ';
export const TASK_SCOPES = [
  'docker-worker:relengapi-proxy:tooltool.download.public',
  'docker-worker:relengapi-proxy:tooltool.download.internal',
  'docker-worker:relengapi-proxy:*',
  'queue:get-artifact:x',
];
export const TASK_PERMISSIONS = ['tooltool.download.public', 'tooltool.download.internal'];

export interface Setup {
  relengapi: Awaited<ReturnType<typeof startFakeRelengapi>>;
  tc: Awaited<ReturnType<typeof startFakeTaskcluster>>;
  /** Create the plugin from these settings (convict dotted keys) and listen; its URL and captured log text. */
  start(overrides?: Record<string, unknown>): Promise<{ url: string; logs(): string; heartbeat: CreatedPlugin['heartbeat'] }>;
}

/** What `create` is handed: the core settings it reads, a logger, and nothing it must not use. */
function servicesFor(rootUrl: string, log: GatewayServices['log']): GatewayServices {
  const unused = (what: string) => () => {
    throw new Error(`the relengapi plugin must not use ${what}`);
  };
  return {
    settings: { taskcluster: { rootUrl, clientId: '', accessToken: '', certificate: '' } } as CoreSettings,
    log,
    credentials: undefined,
    holder: unused('the credential holder'),
    dataDir: unused('the data directory'),
    nonceCache: unused('a nonce cache'),
    trustedProxies: new TrustedProxies(),
  publicOrigin: undefined,
    rateLimitStore: undefined,
    quickstart: false,
  };
}

export async function setup(t: Test, fake: Partial<FakeRelengapiOptions> = {}): Promise<Setup> {
  const relengapi = await startFakeRelengapi({ permanentToken: PERMANENT_TOKEN, grantable: TASK_PERMISSIONS, ...fake });
  const tc = await startFakeTaskcluster({ tasks: { [TASK_ID]: { scopes: TASK_SCOPES } } });
  t.teardown(async () => {
    await relengapi.close();
    await tc.close();
  });
  return {
    relengapi,
    tc,
    async start(overrides = {}) {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const log = createLogger('trace', sink);
      const config = convict({ taskcluster: coreSchema.taskcluster, ...relengapiModule.schema }, { env: {}, args: [] });
      const settings: Record<string, unknown> = {
        'taskcluster.rootUrl': tc.rootUrl,
        'relengapi.taskId': TASK_ID,
        'relengapi.token': PERMANENT_TOKEN,
        'relengapi.tokenUrl': relengapi.tokenUrl,
        'relengapi.routes': [`/tooltool=${relengapi.url}`, `/mapper=${relengapi.url}/mapper-base`],
        ...overrides,
      };
      for (const [key, value] of Object.entries(settings)) config.set(key, value);
      config.validate({ allowed: 'strict' });
      const created = await relengapiModule.create({ relengapi: config.get('relengapi') }, servicesFor(config.get('taskcluster.rootUrl'), log));
      t.teardown(async () => created.close?.());
      const app = Fastify({ loggerInstance: log as FastifyBaseLogger });
      // the app's one error renderer, which every capability plugin depends on
      await app.register(errorRenderer);
      await app.register(created.plugin, created.options);
      t.teardown(() => app.close());
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      return { url, logs: () => lines.join(''), heartbeat: created.heartbeat };
    },
  };
}

/** A URL nothing listens on. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.close();
  await once(server, 'close');
  return url;
}
