/**
 * The admin listener's API documentation: each listener's OpenAPI document at
 * `/openapi/<listener>.json` and a Swagger UI page at `/docs` offering them all, served from
 * @fastify/swagger-ui's own files (no CDN) where they are installed.
 */
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyPluginAsync, FastifyPluginCallback } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import { declareRoutes, type ApiRoute } from '../routes.js';
import { openApiOf } from './openapi.js';

export interface DocsPageOptions {
  /** The apps whose documents the page offers, by listener name (the admin app's own included). */
  listeners: Record<string, FastifyInstance>;
}

export const DOCS_PREFIX = '/docs';

/** The documents' table (the page itself is @fastify/swagger-ui's). */
export function openApiRoutes(listeners: Record<string, FastifyInstance>): ApiRoute[] {
  return [{
    method: 'GET',
    url: '/openapi/:listener.json',
    name: 'openApiDocument',
    title: 'OpenAPI Document',
    description: "The OpenAPI 3.1 document of one listener's routes: what it serves, with each route's scopes.",
    scopes: null,
    params: { type: 'object', properties: { listener: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' } }, required: ['listener'] },
    output: { type: 'object' },
    handler: async (request) => {
      const { listener } = request.params as { listener: string };
      const served = Object.hasOwn(listeners, listener) ? listeners[listener] : undefined;
      if (!served) throw new GatewayError('ResourceNotFound', `listener ${listener} not found`);
      return openApiOf(served);
    },
  }];
}

/**
 * @fastify/swagger-ui, or undefined where it is not installed: the single executable carries no
 * node_modules, and the page's files cannot be bundled (the package reads them from its own
 * directory), so there the admin listener serves the documents without the page.
 */
function swaggerUiPlugin(): FastifyPluginCallback<Record<string, unknown>> | undefined {
  try {
    // require, not import(): the executable's snapshot has no dynamic import; this module's own
    // require reads node_modules as installed, beside the build (the package is CommonJS)
    return createRequire(import.meta.url)('@fastify/swagger-ui') as FastifyPluginCallback<Record<string, unknown>>;
  } catch (err) {
    if (/^(?:ERR_)?MODULE_NOT_FOUND$/.test(String((err as NodeJS.ErrnoException).code))) return undefined;
    throw err;
  }
}

export const docsPage: FastifyPluginAsync<DocsPageOptions> = async (app, { listeners }) => {
  await declareRoutes(app, openApiRoutes(listeners));
  const swaggerUi = swaggerUiPlugin();
  if (!swaggerUi) {
    app.log.info(`no ${DOCS_PREFIX}/ page: @fastify/swagger-ui is not installed beside this build; the documents are at /openapi/<listener>.json`);
    return;
  }
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { urls: Object.keys(listeners).map((name) => ({ name, url: `/openapi/${name}.json` })) },
  });
};
