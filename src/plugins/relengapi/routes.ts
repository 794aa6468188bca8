/**
 * The relengapi table: two routes per configured service prefix (the prefix itself, and what is
 * below it), answered by the token-attaching forwarder, or by a 403 when the gateway was started
 * for a task that grants no RelengAPI permission.
 */
import type { RouteHandlerMethod } from 'fastify';
import { ANY_METHOD, type ApiRoute } from '../../fastify/routes.js';
import type { ServiceRoute } from './service-routes.js';

export function relengapiRoutes(services: readonly ServiceRoute[], forward: RouteHandlerMethod): ApiRoute[] {
  return services.flatMap(({ prefix, origin, basePath }) => {
    const route = {
      method: ANY_METHOD,
      title: `Forward to ${prefix}`,
      description: `Forwards the request, path and query untouched below \`${prefix}\`, to ${origin}${basePath} with a temporary RelengAPI token of the task's permissions as its bearer token; the answer comes back as the service gave it.`,
      // No scopes are checked here: whoever reaches this listener acts with the task's RelengAPI
      // permissions (the listener is the boundary); the service checks the token's permissions.
      scopes: null,
      // forwarded as it arrives: nothing here reads it
      body: 'stream',
      handler: forward,
    } as const;
    return [
      { ...route, url: prefix, name: `forward:${prefix}` },
      { ...route, url: `${prefix}/*`, name: `forward:${prefix}/*` },
    ];
  });
}
