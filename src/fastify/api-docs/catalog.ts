/**
 * The routes a listener serves, as declared: every route the route kit declares carries its
 * `ApiRoute` in its config; this plugin, registered where the app is made (before any
 * capability), collects them so the listener's references and API document describe exactly
 * what it serves.
 */
import fp from 'fastify-plugin';
import type { ApiRoute } from '../routes.js';

export const ROUTE_CATALOG = 'taskcluster-gateway-route-catalog';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route declared on this app so far, in declaration order. */
    declaredRoutes(): readonly ApiRoute[];
  }
}

export const routeCatalog = fp(
  async (app) => {
    const routes = new Set<ApiRoute>();
    app.decorate('declaredRoutes', () => [...routes]);
    app.addHook('onRoute', (route) => {
      const declaration = route.config?.declaration;
      if (declaration) routes.add(declaration);
    });
  },
  { name: ROUTE_CATALOG, fastify: '5.x' },
);
