/**
 * The secrets capability: its settings (section `secrets`) and `create`, run once at start:
 * checks the settings, opens the store, loads who may call, starts the expiry sweep and the
 * key ring's follower (reload on file change or SIGHUP, heartbeat).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadAuthClients, localAuthenticator } from '../../core/local-auth.js';
import type { ClientDirectory } from '../../core/auth.js';
import { reachAuthService, remoteAuthenticator } from '../../core/remote-auth.js';
import { ConfigError, requireSetting, type SettingsOf } from '../../config/settings.js';
import type { Authenticate } from '../../fastify/authorize.js';
import { definePluginModule, NOT_SERVED, type CheckServices, type GatewayServices } from '../../fastify/capability.js';

import { secretsPlugin, secretsTables, type SecretsPluginOptions } from './index.js';
import { followKeyRing } from './key-ring.js';
import { startSweeper } from './sweep.js';
import { DATABASE_TIMEOUT_MS, READ_CACHE_DEFAULTS, checkStoreSettings, loadKeyRing, openSecretStore, type KeyRing, type OpenOptions } from './store/index.js';

export const secretsSchema = {
  secrets: {
    database: {
      doc: 'Secrets database: sqlite:<path> or postgres://...; empty = sqlite:<dataDir>/secrets.db',
      format: String, default: '', env: 'GATEWAY_SECRETS_DATABASE', arg: 'secrets-database', sensitive: true,
    },
    databaseTimeoutMs: {
      doc: 'How long one secrets database operation (PostgreSQL: also connecting, one statement; SQLite: waiting for another process\'s lock) may take before the request is answered 503 and the heartbeat fails',
      format: 'nat', default: DATABASE_TIMEOUT_MS, env: 'GATEWAY_SECRETS_DATABASE_TIMEOUT_MS', arg: 'secrets-database-timeout-ms',
    },
    keys: {
      doc: 'Encryption keys file {"keys": [{"id", "key": <base64 of 32 bytes>}]}: the last encrypts, all decrypt. Required (the quick start makes one)',
      format: String, default: '', env: 'GATEWAY_SECRETS_KEYS', arg: 'secrets-keys',
    },
    auth: {
      doc: 'Who is calling: local (clients file) or remote (the Taskcluster deployment at taskcluster.rootUrl)',
      format: ['local', 'remote'], default: 'local', env: 'GATEWAY_AUTH', arg: 'auth',
    },
    authClients: {
      doc: 'Local auth: clients and roles file (JSON or YAML) {"clients": [{clientId, accessToken, scopes}], "roles": [{roleId, scopes}]}',
      format: String, default: '', env: 'GATEWAY_AUTH_CLIENTS', arg: 'auth-clients',
    },
    remoteAuthTimeoutMs: {
      doc: 'Remote auth: how long one authenticateHawk call may take before the request is answered 503',
      format: 'nat', default: 5000, env: 'GATEWAY_REMOTE_AUTH_TIMEOUT_MS', arg: 'remote-auth-timeout-ms',
    },
    keysHeartbeatSec: {
      doc: 'Seconds between publications of this gateway\'s key ids in the database, which rotate-keys and the other gateways read; an entry not refreshed for 3 of them counts as a gateway gone',
      format: 'nat', default: 10, env: 'GATEWAY_SECRETS_KEYS_HEARTBEAT_SEC', arg: 'secrets-keys-heartbeat-sec',
    },
    cacheEntries: {
      doc: 'Read cache: most decrypted secrets kept in memory, so a hot read needs no database round trip; 0 = no cache. Kept exact across replicas (PostgreSQL LISTEN/NOTIFY; SQLite\'s change counter); bypassed while that cannot be vouched for',
      format: 'nat', default: READ_CACHE_DEFAULTS.entries, env: 'GATEWAY_SECRETS_CACHE_ENTRIES', arg: 'secrets-cache-entries',
    },
    cacheBytes: {
      doc: 'Read cache: most bytes kept (each secret\'s stored size plus its name)',
      format: 'nat', default: READ_CACHE_DEFAULTS.maxBytes, env: 'GATEWAY_SECRETS_CACHE_BYTES', arg: 'secrets-cache-bytes',
    },
    cacheTtlSec: {
      doc: 'Read cache: longest a secret is kept, in seconds (never past its expiry)',
      format: 'nat', default: READ_CACHE_DEFAULTS.ttlMs / 1000, env: 'GATEWAY_SECRETS_CACHE_TTL_SEC', arg: 'secrets-cache-ttl-sec',
    },
    listenDatabase: {
      doc: 'PostgreSQL only: where the read cache\'s LISTEN connection goes when the secrets database URL is a pooler in transaction mode (PgBouncer), which does not carry notifications; empty = the secrets database',
      format: String, default: '', env: 'GATEWAY_SECRETS_LISTEN_DATABASE', arg: 'secrets-listen-database', sensitive: true,
    },
    sweepIntervalSec: {
      doc: 'Seconds between sweeps deleting expired secrets and bootstrap entries; 0 = never',
      format: 'nat', default: 600, env: 'GATEWAY_SECRETS_SWEEP_INTERVAL_SEC', arg: 'secrets-sweep-interval-sec',
    },
  },
};

export type SecretsSettings = SettingsOf<typeof secretsSchema>;

/** The clientId the gateway's own audit rows (expiry sweeps) carry. */
export function gatewayClientId(services: Pick<GatewayServices, 'settings'>): string {
  return services.settings.taskcluster.clientId || 'taskcluster-gateway';
}

export function secretsDatabaseUrl(settings: SecretsSettings['secrets'], dataDir: () => string): string {
  return settings.database || `sqlite:${join(dataDir(), 'secrets.db')}`;
}


/** The store's read cache as the settings say; off when cacheEntries or cacheBytes is 0. */
export function readCacheOptions(settings: SecretsSettings['secrets']): Pick<OpenOptions, 'cache' | 'listenUrl'> {
  if (settings.cacheEntries === 0 || settings.cacheBytes === 0 || settings.cacheTtlSec === 0) return {};
  return {
    cache: { entries: settings.cacheEntries, maxBytes: settings.cacheBytes, ttlMs: settings.cacheTtlSec * 1000 },
    ...(settings.listenDatabase ? { listenUrl: settings.listenDatabase } : {}),
  };
}

const AUTH_CLIENTS = 'secrets.authClients (--auth-clients / GATEWAY_AUTH_CLIENTS)';

/** The local clients file's directory; its problems name the setting as well as the file. */
function authClients(settings: SecretsSettings['secrets']): ClientDirectory {
  const file = requireSetting(settings.authClients, 'secrets.authClients', '--auth-clients / GATEWAY_AUTH_CLIENTS; or --auth remote');
  try {
    return loadAuthClients(file);
  } catch (err) {
    throw err instanceof ConfigError ? new ConfigError(`setting ${AUTH_CLIENTS}: ${err.message}`) : err;
  }
}

interface SecretsAuth {
  authenticate: Authenticate;
  /** Local auth: the clients and roles a reload read, in force for every request arriving after it. */
  use?(directory: ClientDirectory): void;
}

/** What the checks read: the local clients (local auth) and the keys file. */
interface Checked {
  directory?: ClientDirectory;
  keys: { ring: KeyRing; file: string };
}

/** Every check of the settings a start makes before it opens or reaches anything, a reload's too. */
function checkSettings({ secrets: settings }: SecretsSettings, services: CheckServices): Checked {
  let directory: ClientDirectory | undefined;
  if (settings.auth === 'remote') requireSetting(services.settings.taskcluster.rootUrl, 'taskcluster.rootUrl', 'TASKCLUSTER_ROOT_URL; needed by --auth remote');
  else directory = authClients(settings);
  if (settings.keysHeartbeatSec < 1) throw new ConfigError('secrets.keysHeartbeatSec (--secrets-keys-heartbeat-sec) must be at least 1');
  if (!settings.keys) throw new ConfigError('missing required setting secrets.keys (--secrets-keys / GATEWAY_SECRETS_KEYS): the secrets encryption keys file');
  const keys = { ring: loadKeyRing(settings.keys), file: settings.keys };
  // the data directory as configured: only the URL's form is checked, nothing is made
  checkStoreSettings(secretsDatabaseUrl(settings, () => services.settings.dataDir), { timeoutMs: settings.databaseTimeoutMs, ...readCacheOptions(settings) });
  return { directory, keys };
}

function authenticator(settings: SecretsSettings['secrets'], services: GatewayServices, checked: Checked): SecretsAuth {
  const nonceCache = services.nonceCache();
  if (settings.auth === 'remote') {
    return { authenticate: remoteAuthenticator({ rootUrl: services.settings.taskcluster.rootUrl, timeoutMs: settings.remoteAuthTimeoutMs, nonceCache }) };
  }
  let directory = checked.directory!;
  return { authenticate: localAuthenticator(() => directory, nonceCache), use: (next) => void (directory = next) };
}

export const secretsModule = definePluginModule({
  name: 'secrets',
  schema: secretsSchema,
  documentedRoutes: () => secretsTables(NOT_SERVED),
  liveSettings: ['secrets.authClients'],
  check: (settings, services) => void checkSettings(settings, services),
  async create(settings, services) {
    const checked = checkSettings(settings, services);
    const auth = authenticator(settings.secrets, services, checked);
    const { authenticate } = auth;
    const wait = { boundMs: services.settings.startupWaitMs, log: services.log };
    if (settings.secrets.auth === 'remote') await reachAuthService(services.settings.taskcluster.rootUrl, wait);
    const heartbeatSec = settings.secrets.keysHeartbeatSec;
    const { keys } = checked;
    const gateway = { id: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`, heartbeatSec };
    const store = await openSecretStore(secretsDatabaseUrl(settings.secrets, services.dataDir), keys.ring, {
      gateway, timeoutMs: settings.secrets.databaseTimeoutMs, wait, events: services.events, ...readCacheOptions(settings.secrets),
    });
    // the cache counts in its own object (a hit stays one increment); /metrics reads it when scraped
    if (store.cacheStats) services.events?.reportCache('secrets', store.cacheStats);
    const keyRingFollower = followKeyRing(store, { file: keys.file, heartbeatSec, log: services.log });
    const sweeper = startSweeper(store, { clientId: gatewayClientId(services), intervalSec: settings.secrets.sweepIntervalSec, log: services.log });
    const options: SecretsPluginOptions = { store, authenticate, trustedProxies: services.trustedProxies, events: services.events };
    return {
      plugin: secretsPlugin,
      options,
      heartbeat: () => store.ping(),
      reload: keyRingFollower.reload,
      async reconfigure({ secrets: next }) {
        // local auth: the clients file read again (also when its path is unchanged); the keys file too, by its follower
        const directory = auth.use && next.auth === 'local' ? authClients(next) : undefined;
        // the keys file must load before anything applies: a reload is all or nothing (the store
        // may still refuse the ring at commit, a ring lacking a key in use: the follower logs that)
        if (keys.file) loadKeyRing(keys.file);
        return async () => {
          if (directory) auth.use!(directory);
          await keyRingFollower.reload();
        };
      },
      async close() {
        keyRingFollower.stop();
        sweeper.stop();
        await store.close();
      },
    };
  },
});
