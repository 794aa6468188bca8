/**
 * The secrets plugin: Taskcluster Secrets v1, single-use bootstrap secrets and the secrets'
 * audit history, behind Hawk authentication and scopes. It only composes; see config.ts for
 * how its options are made from settings.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayEvents } from '../../core/events.js';
import { authorization, type Authenticate } from '../../fastify/authorize.js';
import { errorRenderer } from '../../fastify/errors.js';
import { requestSerializer } from '../../log.js';
import { secretsRoutes } from './api.js';
import { registerAuditLog } from './audit-log.js';
import { bootstrapRoutes } from './bootstrap.js';
import { historyRoutes } from './history.js';
import { declareRoutes } from './routes.js';
import type { SecretStore } from './store/index.js';
import { strictValidatorCompiler } from './validation.js';

export interface SecretsPluginOptions {
  store: SecretStore;
  authenticate: Authenticate;
  trustedProxies?: readonly string[];
  /** Where operations are counted by outcome (the gateway's tally, read by /metrics). */
  events?: GatewayEvents;
}

/** lib-api's inputLimit: bodies up to 10 MB, as the real service accepts. */
export const BODY_LIMIT = 10 * 1024 * 1024;

const secretsApi: FastifyPluginAsync<SecretsPluginOptions> = async (app, options) => {
  await app.register(errorRenderer);
  await app.register(authorization, { authenticate: options.authenticate, trustedProxies: options.trustedProxies ?? [], bodyLimit: BODY_LIMIT });
  app.setValidatorCompiler(strictValidatorCompiler());
  registerAuditLog(app, options.events);
  declareRoutes(app, [...secretsRoutes(options.store), ...bootstrapRoutes(options.store), ...historyRoutes(options.store)]);
};

export const secretsPlugin: FastifyPluginAsync<SecretsPluginOptions> = async (app, options) => {
  if (!options.store) throw new Error('secrets plugin: option store is required');
  if (typeof options.authenticate !== 'function') throw new Error('secrets plugin: option authenticate must be a function');
  // The gateway's logger has this serializer already; a Fastify app of someone else's may not, and
  // these URLs carry bootstrap tokens. (Fastify types serializers as returning strings; pino takes objects.)
  const logSerializers = { req: requestSerializer } as unknown as Record<string, (value: unknown) => string>;
  await app.register(secretsApi, { ...options, logSerializers });
};
