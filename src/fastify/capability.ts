/**
 * How a capability joins the gateway. Each `src/plugins/<name>/capability.ts` exports one
 * `PluginModule`: its convict schema section and `create`, called once at start with its
 * settings, which checks them (throwing ConfigError naming the setting) and opens what must
 * live once per process (stores, token managers). The Fastify plugin it returns is then
 * registered on every listener that names the capability.
 */
import fp from 'fastify-plugin';
import type { FastifyPluginAsync, FastifyPluginOptions } from 'fastify';
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Logger } from 'pino';
import type { CredentialHolder } from '../core/holder.js';
import type { Credentials } from '../core/credentials.js';
import type { NonceStore } from '../core/hawk.js';
import type { GatewayEvents } from '../core/events.js';
import type { CoreSettings } from '../config/schema.js';
import type { SettingsOf } from '../config/settings.js';
import type { SchemaOwner } from '../config/load.js';
import type { TrustedProxies } from '../net/trusted-proxies.js';
import { ERROR_RENDERER } from './errors.js';
import type { ApiRoute } from './routes.js';

/** What server.ts hands every plugin: one instance of each, shared across plugins and listeners. */
export interface GatewayServices {
  settings: CoreSettings;
  log: Logger;
  /** The Taskcluster credentials configured for the gateway, or undefined when none are. */
  credentials: Credentials | undefined;
  /** The credential holder the proxy signs with and /credentials swaps (made on first use). */
  holder(): CredentialHolder;
  /** Absolute data directory, created on demand. */
  dataDir(): string;
  /** Hawk replay protection (made on first use): shared with the other replicas through Redis when `--redis-url` is set. */
  nonceCache(): NonceStore;
  /** The front proxies whose X-Forwarded-* headers are believed, as the configuration in force says (a reload swaps the list). */
  trustedProxies: TrustedProxies;
  /** The origin clients reach the gateway at (publicUrl, checked), or undefined: each request's Host says it. */
  publicOrigin: string | undefined;
  /** @fastify/rate-limit's store counting across replicas (Redis), or undefined: the library's in-process store. */
  rateLimitStore: FastifyRateLimitStoreCtor | undefined;
  /** Where the plugin counts what it does (read by /metrics); undefined outside a gateway (a test's bare app). */
  events?: GatewayEvents;
  /** True in the `npm start` quick start: plugins may generate what a real deployment must configure. */
  quickstart: boolean;
}

/** What a capability's `check` may read: settings already loaded, nothing it would open or reach. */
export type CheckServices = Pick<GatewayServices, 'settings' | 'credentials' | 'quickstart'>;

/** What a capability's `reconfigure` returns once the new settings passed its checks: applies them, all at once. */
export type CommitSettings = () => void | Promise<void>;

/** A capability made from its settings: its Fastify plugin with the options it is registered with. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface CreatedPlugin<O extends FastifyPluginOptions = FastifyPluginOptions, S = any> {
  plugin: FastifyPluginAsync<O>;
  options: O;
  /** Health of what create opened (a database, say), run by /__heartbeat__; rejects when unhealthy. */
  heartbeat?(): Promise<void>;
  /** Re-read a file the capability follows (the secrets keys file), as its own watch does. Never rejects. */
  reload?(): Promise<void>;
  /**
   * A configuration reload's second step (SIGHUP), once the whole new configuration passed the
   * start's checks (the module's `check` among them): prepare this capability's live settings,
   * reading what they name (throwing ConfigError naming the setting and file, should it have
   * changed since), and return what applies them. Changes nothing itself: src/reconfigure.ts
   * commits only when every capability prepared, so a bad value anywhere changes nothing
   * anywhere. Settings outside the module's `liveSettings` are not applied (they need a restart).
   */
  reconfigure?(settings: S, core: CoreSettings): Promise<CommitSettings>;
  /** Release what create opened (called once at shutdown, after listeners close). */
  close?(): Promise<void>;
}

/**
 * One capability. Without type arguments, a module of some settings and options, as a list of
 * different ones (the registry, a bin's own few) holds them: TypeScript has no type for "some S
 * and O", and each module's `create` is checked against its own S and O where it is defined
 * (definePluginModule).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface PluginModule<S extends object = any, O extends FastifyPluginOptions = any> extends SchemaOwner {
  /** The name used in --plugins and listener definitions. */
  name: string;
  /** Convict schema fragment: top-level sections this capability owns. */
  schema: S;
  /** Settings (dotted paths, e.g. `secrets.authClients`) its created plugin's `reconfigure` applies while serving; any other change needs a restart. */
  liveSettings?: readonly string[];
  /**
   * Every check `create` makes of the settings before it opens or reaches anything (ConfigError
   * naming the setting); `create` runs it first. A configuration reload runs it on the new
   * settings of every capability the new configuration enables, so that a reload refuses
   * exactly what a start would refuse, with the same message.
   */
  check?(settings: SettingsOf<S>, services: CheckServices): void | Promise<void>;
  create(settings: SettingsOf<S>, services: GatewayServices): Promise<CreatedPlugin<O, SettingsOf<S>>>;
  /**
   * The routes tables this capability declares, as `create` makes them from the default
   * settings, for the README's route tables (`npm run docs`): their handlers never run.
   */
  documentedRoutes?(): readonly ApiRoute[];
}

/** What a documented table is given in place of what only `create` makes: never used, handlers never run. */
export const NOT_SERVED = null as never;

/** Identity with inference, so a module's settings are typed from its own schema and its options checked against its plugin. */
export function definePluginModule<S extends object, O extends FastifyPluginOptions>(module: PluginModule<S, O>): PluginModule<S, O> {
  return module;
}

/**
 * A capability as a Fastify plugin: encapsulated (a listener has it or not, its parsers and hooks
 * stay its own), named `taskcluster-gateway-<name>`, and depending on the app's one error
 * renderer, so registering it where errors would not leave in Taskcluster's shape fails at once.
 */
export function capabilityPlugin<O extends FastifyPluginOptions>(name: string, plugin: FastifyPluginAsync<O>): FastifyPluginAsync<O> {
  return fp(plugin, { name: `taskcluster-gateway-${name}`, fastify: '5.x', encapsulate: true, dependencies: [ERROR_RENDERER] });
}
