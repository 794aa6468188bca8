/**
 * How a capability joins the gateway. Each `src/plugins/<name>/config.ts` exports one
 * `PluginModule`: its convict schema section and `create`, called once at start with its
 * settings, which checks them (throwing ConfigError naming the setting) and opens what must
 * live once per process (stores, token managers). The Fastify plugin it returns is then
 * registered on every listener that names the capability.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Logger } from 'pino';
import type { CredentialHolder } from '../core/holder.js';
import type { Credentials } from '../core/credentials.js';
import type { NonceStore } from '../core/hawk.js';
import type { GatewayEvents } from '../core/events.js';
import type { CoreSettings } from '../config/schema.js';
import type { SettingsOf } from '../config/settings.js';

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
  /** @fastify/rate-limit's store counting across replicas (Redis), or undefined: the library's in-process store. */
  rateLimitStore: FastifyRateLimitStoreCtor | undefined;
  /** Where the plugin counts what it does (read by /metrics); undefined outside a gateway (a test's bare app). */
  events?: GatewayEvents;
  /** True in the `npm start` quick start: plugins may generate what a real deployment must configure. */
  quickstart: boolean;
}

export interface CreatedPlugin {
  plugin: FastifyPluginAsync<any>;
  options: Record<string, unknown>;
  /** Health of what create opened (a database, say), run by /__heartbeat__; rejects when unhealthy. */
  heartbeat?(): Promise<void>;
  /** Re-read what may change while serving (the secrets keys file); src/cli/ calls it on SIGHUP. Never rejects. */
  reload?(): Promise<void>;
  /** Release what create opened (called once at shutdown, after listeners close). */
  close?(): Promise<void>;
}

export interface PluginModule<S = unknown> {
  /** The name used in --plugins and listener definitions. */
  name: string;
  /** Convict schema fragment: top-level sections this capability owns. */
  schema: S;
  create(settings: SettingsOf<S>, services: GatewayServices): Promise<CreatedPlugin>;
}

/** Identity with inference, so a module's settings are typed from its own schema. */
export function definePluginModule<S>(module: PluginModule<S>): PluginModule<S> {
  return module;
}
