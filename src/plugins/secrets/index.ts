/**
 * The secrets plugin: Taskcluster Secrets v1, single-use bootstrap secrets and the secrets'
 * audit history, behind Hawk authentication and scopes. It only composes: the routes tables
 * (api.ts, bootstrap.ts, history.ts) through the route kit; capability.ts makes its options
 * from settings.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayEvents } from '../../core/events.js';
import type { Authenticate } from '../../fastify/authorize.js';
import { capabilityPlugin } from '../../fastify/capability.js';
import { declareRoutes, type ApiRoute, type RouteKitOptions } from '../../fastify/routes.js';
import { requestSerializer } from '../../log.js';
import { secretsRoutes } from './api.js';
import { bootstrapRoutes } from './bootstrap.js';
import { historyRoutes } from './history.js';
import type { SecretStore } from './store/index.js';

// What a library user needs to build the options: a store (SQLite or PostgreSQL) and its keys.
export { openSecretStore, loadKeyRing, keyRingFrom, generateKey, generateKeyFile, type SecretStore, type KeyRing, type OpenOptions } from './store/index.js';

export interface SecretsPluginOptions {
  store: SecretStore;
  authenticate: Authenticate;
  /** Front proxies whose X-Forwarded-Host/-Port/-Proto are believed: CIDRs, or the gateway's live TrustedProxies. */
  trustedProxies?: RouteKitOptions['trustedProxies'];
  /** Where operations are counted by outcome (the gateway's tally, read by /metrics). */
  events?: GatewayEvents;
}

/** lib-api's inputLimit: bodies up to 10 MB, as the real service accepts. */
export const BODY_LIMIT = 10 * 1024 * 1024;

/** Every route of the plugin: Secrets v1, bootstrap secrets, the audit history. */
export function secretsTables(store: SecretStore): ApiRoute[] {
  return [...secretsRoutes(store), ...bootstrapRoutes(store), ...historyRoutes(store)];
}

const secretsApi: FastifyPluginAsync<SecretsPluginOptions> = async (app, options) => {
  await declareRoutes(app, secretsTables(options.store), { authenticate: options.authenticate, trustedProxies: options.trustedProxies, bodyLimit: BODY_LIMIT, events: options.events });
};

export const secretsPlugin = capabilityPlugin<SecretsPluginOptions>('secrets', async (app, options) => {
  if (!options.store) throw new Error('secrets plugin: option store is required');
  if (typeof options.authenticate !== 'function') throw new Error('secrets plugin: option authenticate must be a function');
  // The gateway's logger has this serializer already; a Fastify app of someone else's may not, and
  // these URLs carry bootstrap tokens. (Fastify types serializers as returning strings; pino takes objects.)
  const logSerializers = { req: requestSerializer } as unknown as Record<string, (value: unknown) => string>;
  await app.register(secretsApi, { ...options, logSerializers });
});
