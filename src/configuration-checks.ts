/**
 * What a start checks of a configuration before it opens or reaches anything, written once: the
 * start runs these checks (buildGateway, then each capability's `create`, which runs its own
 * `check` first), and a configuration reload runs the same ones on the new configuration, so a
 * reload refuses exactly what a start would refuse, with the same message (ConfigError naming
 * the setting). What only opening or reaching a service shows (a database that refuses the
 * password, a queue without the task) still shows at start only.
 */
import type { LoadedConfig } from './config/load.js';
import type { CoreSettings, ListenerSpec } from './config/schema.js';
import { ConfigError, configuredOrigin, PUBLIC_URL_SETTING, requireParsableUrl } from './config/settings.js';
import type { Credentials } from './core/credentials.js';
import type { CheckServices, PluginModule } from './fastify/capability.js';
import type { AddressRange } from './net/addresses.js';
import { connectionVerifierFor, type ConnectionVerifier } from './net/connection-verifier.js';
import { TrustedProxies } from './net/trusted-proxies.js';

export function configuredCredentials(settings: CoreSettings): Credentials | undefined {
  const { clientId, accessToken, certificate } = settings.taskcluster;
  if (!clientId && !accessToken) return undefined;
  return { clientId, accessToken, certificate: certificate || undefined };
}

/** The listeners to build: as configured, or one serving every enabled plugin. */
function listenerSpecs(settings: CoreSettings): ListenerSpec[] {
  if (settings.listeners.length > 0) return settings.listeners;
  return [{ name: 'main', host: settings.ipAddress, port: settings.port, plugins: settings.plugins }];
}

/** Module settings as its `check`, `create` and `reconfigure` take them: the sections its schema owns. */
export function moduleSettings(loaded: LoadedConfig<PluginModule>, module: PluginModule): any {
  return Object.fromEntries(Object.keys(module.schema as object).map((section) => [section, loaded.config.get(section)]));
}

/** Redis's settings (the URL is never echoed: it may hold a password). */
function checkRedisSettings(settings: CoreSettings['redis']): void {
  if (!settings.url) {
    if (settings.required) throw new ConfigError('setting redis.required (--redis-required) needs redis.url (--redis-url / GATEWAY_REDIS_URL)');
    return;
  }
  if (!/^rediss?:\/\//.test(settings.url)) throw new ConfigError('setting redis.url (--redis-url / GATEWAY_REDIS_URL): expected a redis:// or rediss:// URL');
  requireParsableUrl(settings.url, 'redis.url (--redis-url / GATEWAY_REDIS_URL)');
  if (settings.timeoutMs < 1) throw new ConfigError('setting redis.timeoutMs (--redis-timeout-ms) must be at least 1');
}

export interface CheckedCore {
  specs: ListenerSpec[];
  /** The capabilities the listeners name, in the order of the program's modules. */
  wanted: PluginModule[];
  /** The connection verifier the settings ask for (allowedUser), or undefined. */
  verifier: ConnectionVerifier | undefined;
  /** The trusted proxies' ranges (TrustedProxies.use). */
  trustedProxies: AddressRange[];
  /** The configured public origin (publicUrl), or undefined: each request's addressed origin. */
  publicOrigin: string | undefined;
}

/** The checks of the settings every deployment shape shares: listeners and plugins, connection verifier, Redis, trusted proxies, public URL. */
export function checkCoreSettings(loaded: LoadedConfig<PluginModule>, quickstart: boolean): CheckedCore {
  const specs = listenerSpecs(loaded.core);
  const known = new Map(loaded.modules.map((m) => [m.name, m]));
  const named = new Set(specs.flatMap((s) => s.plugins));
  for (const name of named) {
    if (!known.has(name)) throw new ConfigError(`unknown plugin ${name} in setting plugins (known: ${[...known.keys()].join(', ') || 'none'})`);
  }
  if (named.size === 0 && !quickstart) throw new ConfigError('no plugins enabled: set plugins (GATEWAY_PLUGINS, --plugins) or listeners');
  const verifier = connectionVerifierFor(loaded.core);
  checkRedisSettings(loaded.core.redis);
  const trustedProxies = TrustedProxies.parse(loaded.core.trustedProxies);
  const publicOrigin = configuredOrigin(loaded.core.publicUrl, PUBLIC_URL_SETTING);
  return { specs, wanted: loaded.modules.filter((m) => named.has(m.name)), verifier, trustedProxies, publicOrigin };
}

/** Every check a start makes before it opens anything: the core settings', then each enabled capability's own. */
export async function checkConfiguration(loaded: LoadedConfig<PluginModule>, quickstart: boolean): Promise<CheckedCore> {
  const core = checkCoreSettings(loaded, quickstart);
  const services: CheckServices = { settings: loaded.core, credentials: configuredCredentials(loaded.core), quickstart };
  for (const module of core.wanted) await module.check?.(moduleSettings(loaded, module), services);
  return core;
}
