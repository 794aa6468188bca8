/**
 * host-secrets' table: `GET /v1/credentials` gives a machine credentials for the host its address
 * proves it is, and `GET /v1/ping` answers as the original's API did.
 */
import type { RouteHandlerMethod } from 'fastify';
import { noRoute } from '../../fastify/errors.js';
import type { ApiRoute, HttpMethod } from '../../fastify/routes.js';
import { credentialsResponseSchema } from './credentials-route.js';

const pingAnswer = {
  type: 'object',
  properties: { alive: { type: 'boolean' }, uptime: { type: 'number' } },
  required: ['alive', 'uptime'],
} as const;

/** `perMinute`: the credential requests a client address may make per minute, read at each request; 0 = unlimited. */
export function hostSecretsRoutes(issueCredentials: RouteHandlerMethod, perMinute: () => number, forceSsl: boolean): ApiRoute[] {
  const routes: ApiRoute[] = [
    {
      method: 'GET',
      url: '/v1/ping',
      name: 'ping',
      title: 'Ping Server',
      description: 'Respond without doing anything. This endpoint is used to check that the service is up.',
      scopes: null,
      output: pingAnswer,
      answersHead: true,
      handler: async () => ({ alive: true, uptime: process.uptime() }),
    },
    {
      method: 'GET',
      url: '/v1/credentials',
      name: 'credentials',
      title: 'Get Host Credentials',
      description: 'Temporary Taskcluster credentials for the host asking: its address must be in the allowed addresses, and its reverse DNS name must resolve back to it. The credentials carry one scope, the scope base followed by the reversed host name. Every refusal is 403 IPNotAllowed, saying which check failed.',
      // No scopes: the caller has no credentials yet; its address is what it proves (allow-list,
      // forward-confirmed reverse DNS), checked by the handler.
      scopes: null,
      output: credentialsResponseSchema[200],
      serializeOutput: true,
      // One line per outcome: the audit line for an issued credential, a warning for a refusal.
      // Fastify's own two lines per request would triple the log, and in the benchmark's profile
      // logging was the largest cost after HTTP itself.
      logLevel: 'warn',
      config: { rateLimit: { max: perMinute, timeWindow: 60_000, allowList: () => perMinute() === 0 } },
      handler: issueCredentials,
    },
  ];
  return forceSsl ? [...routes, ...forceSslRefusals()] : routes;
}

const OTHER_METHODS: readonly HttpMethod[] = ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/**
 * With FORCE_SSL, the other methods on the same URLs are routes of this plugin too, so that its
 * FORCE_SSL hook refuses them over plain HTTP (403: their bodies already crossed in clear) even
 * where the listener's own not-found answer would not run the hook; over HTTPS they are, as
 * without FORCE_SSL, no route.
 */
function forceSslRefusals(): ApiRoute[] {
  return [['/v1/ping', OTHER_METHODS], ['/v1/credentials', [...OTHER_METHODS, 'HEAD']]].map(([url, methods]) => ({
    method: methods as readonly HttpMethod[],
    url: url as string,
    name: 'refuseOverHttp',
    title: 'Refused: No Route',
    description: 'Under FORCE_SSL, any other method on this URL is refused with 403 over plain HTTP; over HTTPS it is 404, no route.',
    stability: 'experimental',
    scopes: null,
    body: 'stream',
    handler: async (request) => {
      throw noRoute(request.method, request.url);
    },
  }));
}
