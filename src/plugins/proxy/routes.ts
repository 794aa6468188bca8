/**
 * The proxy's table: one catch-all route forwarding every request no other route claims to its
 * Taskcluster target, signed with the gateway's current credentials, bodies streaming both ways.
 */
import type { RouteHandlerMethod } from 'fastify';
import { ANY_METHOD, type ApiRoute } from '../../fastify/routes.js';

export function proxyRoutes(forward: RouteHandlerMethod): ApiRoute[] {
  return [
    {
      // every method, HEAD included, is forwarded as it came
      method: ANY_METHOD,
      url: '/*',
      name: 'proxy',
      title: 'Forward a Request, Signed',
      description: 'Forwards `/<service>/<version>/<path>` (or `/api/...`, or `/<hostname>/<path>` within the allowed hosts) to the Taskcluster deployment, signed with the gateway\'s current credentials (and their authorizedScopes); the answer comes back as the service gave it, with headers naming the credentials that signed.',
      // No scopes are checked here: whoever reaches this listener acts with the gateway's
      // credentials (the listener is the boundary: loopback, allowedUser/allowedNetwork). The
      // upstream service checks the scopes of those credentials, restricted to authorizedScopes.
      scopes: null,
      // forwarded as it arrives: nothing here reads it
      body: 'stream',
      handler: forward,
    },
  ];
}
