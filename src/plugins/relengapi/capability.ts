/**
 * The relengapi capability: settings, and the start-up work done once per process (reading the
 * task's permissions, preparing the token manager and the connection pool to the services).
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, requireSetting, type SettingsOf } from '../../config/settings.js';
import { checkForwardingSettings, forwardingSchema } from '../../net/forwarder/settings.js';
import { definePluginModule, NOT_SERVED, type CheckServices } from '../../fastify/capability.js';
import { relengapiRoutes } from './routes.js';
import { relengapiPlugin, type RelengapiPluginOptions } from './index.js';
import { fetchTaskPermissions, NoPermissionsError } from './permissions.js';
import { parseServiceRoutes } from './service-routes.js';
import { TemporaryTokenManager } from './token-manager.js';
import { redactUrl } from '../../log.js';

/** Where the last release of the original relengapi-proxy sent its requests. */
export const ORIGINAL_TOKEN_URL = 'https://tokens.mozilla-releng.net/tokens';
export const ORIGINAL_ROUTES = [
  '/tooltool=https://tooltool.mozilla-releng.net',
  '/treestatus=https://treestatus.mozilla-releng.net',
  '/mapper=https://mapper.mozilla-releng.net',
];

export const relengapiSchema = {
  relengapi: {
    taskId: { doc: 'Task whose docker-worker:relengapi-proxy:<permission> scopes set the token permissions', format: String, default: '', env: 'GATEWAY_RELENGAPI_TASK_ID', arg: 'relengapi-task-id' },
    // no environment variable on purpose: the original refused to read this token from the environment
    token: { doc: 'Permanent RelengAPI token that issues the temporary tokens', format: String, default: '', arg: 'relengapi-token', sensitive: true },
    tokenFile: { doc: 'File holding the permanent RelengAPI token (instead of relengapi.token)', format: String, default: '', env: 'GATEWAY_RELENGAPI_TOKEN_FILE', arg: 'relengapi-token-file' },
    tokenUrl: { doc: 'RelengAPI endpoint issuing temporary tokens (POST)', format: String, default: ORIGINAL_TOKEN_URL, env: 'GATEWAY_RELENGAPI_URL', arg: 'relengapi-url' },
    routes: { doc: 'Services as /<path prefix>=<base URL>, comma-separated; the prefix is removed when forwarding', format: Array, default: ORIGINAL_ROUTES, env: 'GATEWAY_RELENGAPI_ROUTES', arg: 'relengapi-route' },
    tokenLifetimeMs: { doc: 'Lifetime asked for each temporary token', format: 'nat', default: 600_000, env: 'GATEWAY_RELENGAPI_TOKEN_LIFETIME_MS', arg: 'relengapi-token-lifetime-ms' },
    renewBeforeMs: { doc: 'Renew a temporary token this long before it expires', format: 'nat', default: 10_000, env: 'GATEWAY_RELENGAPI_RENEW_BEFORE_MS', arg: 'relengapi-renew-before-ms' },
    // the same retries, timeouts and held bodies as the Hawk proxy, set apart from its
    ...forwardingSchema('relengapi'),
    startWithoutPermissions: {
      doc: 'When the task does not exist or grants no RelengAPI permission, start anyway and answer 403 (default: refuse to start)',
      format: Boolean,
      default: false,
      env: 'GATEWAY_RELENGAPI_START_WITHOUT_PERMISSIONS',
      arg: 'relengapi-start-without-permissions',
    },
  },
};

async function permanentToken(settings: { token: string; tokenFile: string }): Promise<string> {
  if (settings.token && settings.tokenFile) throw new ConfigError('relengapi.token and relengapi.tokenFile are exclusive: give one');
  if (!settings.tokenFile) return requireSetting(settings.token, 'relengapi.token', '--relengapi-token or --relengapi-token-file');
  let text: string;
  try {
    text = await readFile(settings.tokenFile, 'utf8');
  } catch (err) {
    throw new ConfigError(`relengapi.tokenFile: cannot read ${settings.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return requireSetting(text.trim(), 'relengapi.tokenFile', `${settings.tokenFile} is empty`);
}

export const relengapiModule = definePluginModule({
  name: 'relengapi',
  schema: relengapiSchema,
  documentedRoutes: () => relengapiRoutes(parseServiceRoutes(ORIGINAL_ROUTES, 'relengapi.routes'), NOT_SERVED),
  check: async (settings, services) => void (await checkSettings(settings, services)),
  async create({ relengapi: settings }, services) {
    const { taskId, rootUrl, token, routes } = await checkSettings({ relengapi: settings }, services);
    const { bufferLimit, timeoutMs, connections, retry } = settings;

    let permissions: string[];
    try {
      permissions = await fetchTaskPermissions(taskId, { rootUrl, wait: { boundMs: services.settings.startupWaitMs, log: services.log } });
    } catch (err) {
      if (!(err instanceof NoPermissionsError)) throw err;
      if (!settings.startWithoutPermissions) throw new ConfigError(err.message);
      services.log.warn(`${err.message}; answering 403 to every RelengAPI request`);
      const options: RelengapiPluginOptions = { refusal: err.message, routes };
      return { plugin: relengapiPlugin, options };
    }

    // a base URL may carry user:password@
    services.log.info({ taskId, permissions, routes: settings.routes.map(redactUrl) }, 'proxying to RelengAPI with the task permissions');
    const tokens = new TemporaryTokenManager({
      tokenUrl: settings.tokenUrl,
      permanentToken: token,
      permissions,
      lifetimeMs: settings.tokenLifetimeMs,
      renewBeforeMs: settings.renewBeforeMs,
      events: services.events,
    });
    const events = services.events && { tally: services.events, plugin: 'relengapi' };
    const options: RelengapiPluginOptions = { routes, tokens, bufferLimit, timeoutMs, connections, retry, events };
    return {
      plugin: relengapiPlugin,
      options,
      // healthy while a temporary token is held or can be issued
      heartbeat: async () => {
        await tokens.token();
      },
    };
  },
});

/** Every check of the settings a start makes before it reaches the queue, a reload's too; what create needs of them. */
async function checkSettings({ relengapi: settings }: SettingsOf<typeof relengapiSchema>, services: CheckServices) {
  checkForwardingSettings(settings, 'relengapi');
  const taskId = requireSetting(settings.taskId, 'relengapi.taskId', 'the task whose scopes grant the permissions');
  const rootUrl = requireSetting(services.settings.taskcluster.rootUrl, 'taskcluster.rootUrl', '--root-url: the deployment whose queue holds the task');
  const token = await permanentToken(settings);
  const routes = parseServiceRoutes(settings.routes, 'relengapi.routes');
  try {
    new URL(settings.tokenUrl);
  } catch {
    throw new ConfigError(`relengapi.tokenUrl: '${redactUrl(settings.tokenUrl)}' is not a URL`);
  }
  if (settings.renewBeforeMs >= settings.tokenLifetimeMs) {
    throw new ConfigError('relengapi.renewBeforeMs must be shorter than relengapi.tokenLifetimeMs');
  }
  return { taskId, rootUrl, token, routes };
}
