// The host-secrets plugin on a real dual-stack socket, configured through the real config
// loader and module, with its log lines captured; and requests from chosen source addresses.
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import type { Test } from 'tap';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import type { GatewayServices } from '../../../src/fastify/capability.js';
import { hostSecretsModule } from '../../../src/plugins/host-secrets/capability.js';
import { hawkExt, resolveCredentials, type ResolvedCredentials } from '../../../src/core/index.js';
import { directoryOf } from '../../helpers/directory.js';
import { errorRenderer } from '../../../src/fastify/errors.js';
import { TrustedProxies } from '../../../src/net/trusted-proxies.js';
import { configuredOrigin, PUBLIC_URL_SETTING } from '../../../src/config/settings.js';

export { get, type Answer } from '../../helpers/http.js';

export const issuer = { clientId: 'project/releng/host-secrets', accessToken: 'hs'.repeat(22) };
export const scopeBase = 'assume:project:releng:host:';
export const clientIdBase = 'project/releng/host/';

/** The auth service's view: the issuer may create clients under the base and holds the scopes. */
export const directory = directoryOf({ ...issuer, scopes: [`auth:create-client:${clientIdBase}*`, `${scopeBase}*`] });

export const baseEnv: NodeJS.ProcessEnv = {
  TASKCLUSTER_CLIENT_ID: issuer.clientId,
  TASKCLUSTER_ACCESS_TOKEN: issuer.accessToken,
  TASKCLUSTER_SCOPE_BASE: scopeBase,
  TASKCLUSTER_CLIENT_ID_BASE: clientIdBase,
  TASKCLUSTER_ALLOWED_IPS: '127.0.0.0/8 ::1',
};

export function servicesFor(env: NodeJS.ProcessEnv, log = createLogger('silent')) {
  const loaded = loadConfig({ env, argv: [], modules: [hostSecretsModule] });
  const { clientId, accessToken, certificate } = loaded.core.taskcluster;
  const services = {
    settings: loaded.core,
    log,
    credentials: clientId || accessToken ? { clientId, accessToken, certificate: certificate || undefined } : undefined,
    quickstart: false,
    holder: () => { throw new Error('host-secrets needs no holder'); },
    dataDir: () => { throw new Error('host-secrets needs no data directory'); },
    nonceCache: () => { throw new Error('host-secrets needs no nonce cache'); },
    trustedProxies: TrustedProxies.of(loaded.core.trustedProxies),
    publicOrigin: configuredOrigin(loaded.core.publicUrl, PUBLIC_URL_SETTING),
    rateLimitStore: undefined,
  } satisfies GatewayServices;
  return { settings: { hostSecrets: loaded.config.get('hostSecrets') }, services };
}

export interface RunningHostSecrets {
  /** `http://127.0.0.1:<port>` and `http://[::1]:<port>`: one dual-stack listener. */
  url: string;
  url6: string;
  logs: Array<Record<string, any>>;
}

export async function startHostSecrets(t: Test, env: NodeJS.ProcessEnv, fastifyOptions: { trustProxy?: boolean } = {}): Promise<RunningHostSecrets> {
  const logs: Array<Record<string, any>> = [];
  const sink = new Writable({ write(chunk, _encoding, done) { logs.push(JSON.parse(String(chunk))); done(); } });
  const log = createLogger('info', sink);
  const { settings, services } = servicesFor({ ...baseEnv, ...env }, log);
  const created = await hostSecretsModule.create(settings, services);
  const app = Fastify({ ...fastifyOptions, loggerInstance: log });
  // the app's one error renderer, which every capability plugin depends on
  await app.register(errorRenderer);
  await app.register(created.plugin, created.options);
  await app.listen({ host: '::', port: 0 });
  t.teardown(async () => {
    await app.close();
    await created.close?.();
  });
  const { port } = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, url6: `http://[::1]:${port}`, logs };
}

/** Issued credentials as the auth service would see them when they sign a request. */
export function validate(credentials: { clientId: string; accessToken: string; certificate: string }): Promise<ResolvedCredentials> {
  return resolveCredentials(directory, credentials.clientId, hawkExt(credentials));
}
