/**
 * The host-secrets capability: `GET /v1/credentials` gives a machine credentials for the host
 * its address proves it is, and `GET /v1/ping` answers as the original's API did.
 */
import type { FastifyPluginAsync } from 'fastify';
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { errorRenderer } from '../../fastify/errors.js';
import { clientKey, credentialsHandler, credentialsResponseSchema, type CredentialsRouteOptions } from './credentials-route.js';
import { forceSslHook } from './force-ssl.js';

// What a library user needs to build the options: the thread that proves hosts and signs.
export { IssuingThread, type IssuerSettings } from './issuing-thread.js';

export interface HostSecretsOptions extends CredentialsRouteOptions {
  forceSsl: boolean;
  trustProxy: boolean;
  /** Credential requests per client address per minute; 0 = unlimited. */
  rateLimitPerMinute: number;
  /** Where the counts live (shared by replicas); undefined = in this process. */
  rateLimitStore?: FastifyRateLimitStoreCtor;
}

export const hostSecretsPlugin: FastifyPluginAsync<HostSecretsOptions> = async (app, options) => {
  // The gateway registers the renderer on every listener; a bare Fastify app hosting the plugin has none.
  await app.register(errorRenderer);
  // listening before the thread can answer would charge its start to the first requests
  await options.issuing.ready();
  if (options.forceSsl) app.addHook('onRequest', forceSslHook({ trustProxy: options.trustProxy }));
  const limited = options.rateLimitPerMinute > 0;
  if (limited) {
    // Each request costs two DNS queries: without a limit a flood turns the gateway into an amplifier.
    await app.register(rateLimit, {
      global: false,
      store: options.rateLimitStore,
      keyGenerator: (request) => clientKey(request, options.trustedProxies),
      onExceeded: (request, ip) => {
        options.events?.count('host-credentials-refused', 'rate_limit');
        request.log.warn({ ip }, 'host-secrets: rate limit exceeded');
      },
    });
  }
  app.get('/v1/ping', async () => ({ alive: true, uptime: process.uptime() }));
  app.get(
    '/v1/credentials',
    {
      // One line per outcome: the audit line for an issued credential, a warning for a refusal.
      // Fastify's own two lines per request would triple the log, and in the benchmark's profile
      // logging was the largest cost after HTTP itself.
      logLevel: 'warn',
      // A HEAD would mint and audit credentials that nobody receives.
      exposeHeadRoute: false,
      schema: { response: credentialsResponseSchema },
      config: limited ? { rateLimit: { max: options.rateLimitPerMinute, timeWindow: 60_000 } } : {},
    },
    credentialsHandler(options),
  );
};
