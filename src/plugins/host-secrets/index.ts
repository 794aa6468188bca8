/**
 * The host-secrets capability: `GET /v1/credentials` gives a machine credentials for the host
 * its address proves it is, and `GET /v1/ping` answers as the original's API did (routes.ts).
 * It only composes: the issuing thread, FORCE_SSL, the rate limit and the table.
 */
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { capabilityPlugin } from '../../fastify/capability.js';
import { declareRoutes } from '../../fastify/routes.js';
import { TrustedProxies } from '../../net/trusted-proxies.js';
import { clientKey, credentialsHandler, type CredentialsRouteOptions } from './credentials-route.js';
import { forceSslHook } from './force-ssl.js';
import { hostSecretsRoutes } from './routes.js';

// What a library user needs to build the options: the thread that proves hosts and signs, the
// address ranges, a credential lifetime from Taskcluster's relative time.
export { IssuingThread, type IssuerSettings } from './issuing-thread.js';
export { parseRanges, type AddressRange } from '../../net/addresses.js';
export { TrustedProxies } from '../../net/trusted-proxies.js';
export { lifetimeMs } from './host-credentials.js';

export interface HostSecretsOptions extends CredentialsRouteOptions {
  /**
   * Front proxies whose X-Forwarded-For names the client: CIDRs, fixed; or a TrustedProxies,
   * whose list can change while serving (the gateway's, which a reload swaps).
   */
  trustedProxies: readonly string[] | TrustedProxies;
  forceSsl: boolean;
  trustProxy: boolean;
  /** Where FORCE_SSL redirects (`https://secrets.example.com`); undefined: the host each request addressed. */
  publicOrigin?: string;
  /**
   * Credential requests per client address per minute; 0 = unlimited. A number, fixed; or a
   * function read at every request (the gateway's, which a reload changes), as @fastify/rate-limit's
   * own `max` may be.
   */
  rateLimitPerMinute: number | (() => number);
  /** Where the counts live (shared by replicas); undefined = in this process. */
  rateLimitStore?: FastifyRateLimitStoreCtor;
}

export const hostSecretsPlugin = capabilityPlugin<HostSecretsOptions>('host-secrets', async (app, options) => {
  // listening before the thread can answer would charge its start to the first requests
  await options.issuing.ready();
  const trustedProxies = TrustedProxies.of(options.trustedProxies);
  if (options.forceSsl) app.addHook('onRequest', forceSslHook({ trustProxy: options.trustProxy, trustedProxies, publicOrigin: options.publicOrigin }));
  const { rateLimitPerMinute } = options;
  const perMinute = typeof rateLimitPerMinute === 'number' ? () => rateLimitPerMinute : rateLimitPerMinute;
  // Each request costs two DNS queries: without a limit a flood turns the gateway into an amplifier.
  // Registered even at 0 (the route's allowList skips it then), so that a reload can set a limit.
  await app.register(rateLimit, {
    global: false,
    store: options.rateLimitStore,
    keyGenerator: (request) => clientKey(request, trustedProxies),
    onExceeded: (request, ip) => {
      options.events?.count('host-credentials-refused', 'rate_limit');
      request.log.warn({ ip }, 'host-secrets: rate limit exceeded');
    },
  });
  await declareRoutes(app, hostSecretsRoutes(credentialsHandler(options, trustedProxies), perMinute, options.forceSsl));
});
