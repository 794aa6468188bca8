/**
 * An OpenAPI 3.1 document per listener, made by @fastify/swagger from the same routes tables as
 * the Taskcluster references: each declared route's title, description, name, schemas and
 * scopes (the route's `declaration`, routes.ts). Hawk is the security scheme; a route stating
 * scopes requires it and names its scope expression (`x-taskcluster-scopes`, and in its
 * description); a public route requires nothing. Routes declared outside the kit are left out.
 */
import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { ScopeExpression } from '../../core/scopes.js';
import type { ApiRoute } from '../routes.js';

export const HAWK_SCHEME = 'hawk';

const hawkScheme = {
  type: 'apiKey',
  in: 'header',
  name: 'Authorization',
  description: 'Taskcluster credentials as a Hawk `Authorization` header (`Hawk id="<clientId>", ts=..., nonce=..., mac=...`, an `ext` carrying a certificate or authorizedScopes), as taskcluster-client signs requests; or a `bewit` query parameter on a signed GET URL. The route\'s scope expression (`x-taskcluster-scopes`) must be satisfied by the client\'s scopes.',
} as const;

/** The methods a Path Item can hold in OpenAPI 3.1; a route answering any method is documented by these. */
const PATH_ITEM_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function scopesText(scopes: ScopeExpression): string {
  return `\n\n**Scopes** (a Taskcluster scope expression, \`<param>\` filled from the URL): \`${JSON.stringify(scopes)}\``;
}

function operation(declaration: ApiRoute, schema: Record<string, unknown> | undefined): Record<string, unknown> {
  return {
    ...schema,
    summary: declaration.title,
    description: declaration.description + (declaration.scopes !== null ? scopesText(declaration.scopes) : ''),
    ...(typeof declaration.method === 'string' && declaration.method !== 'ANY' ? { operationId: declaration.name } : {}),
    ...(declaration.stability === 'deprecated' ? { deprecated: true } : {}),
    ...(declaration.input ? { body: declaration.input } : {}),
    ...(declaration.output ? { response: { 200: { description: 'Success', ...declaration.output } } } : {}),
    security: declaration.scopes === null ? [] : [{ [HAWK_SCHEME]: [] }],
    ...(declaration.scopes !== null ? { 'x-taskcluster-scopes': declaration.scopes } : {}),
    'x-taskcluster-stability': declaration.stability ?? 'stable',
  };
}

export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string;
}

/** @fastify/swagger for one app; register before any route (it collects them as they are added). */
export const openApiDocument = fp<OpenApiOptions>(async (app, options) => {
  const swaggerOptions: FastifyDynamicSwaggerOptions = {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.title, version: options.version, ...(options.description ? { description: options.description } : {}) },
      components: { securitySchemes: { [HAWK_SCHEME]: hawkScheme } },
    },
    transform: ({ schema, url, route }) => {
      const declaration = route.config?.declaration;
      if (!declaration) return { schema: { ...schema, hide: true }, url };
      return { schema: operation(declaration, schema as Record<string, unknown>) as never, url };
    },
  };
  await app.register(swagger, swaggerOptions);
}, { name: 'taskcluster-gateway-openapi', fastify: '5.x' });

/**
 * The app's document. A route answering any method is listed under the methods OpenAPI 3.1 can
 * name (the others, WebDAV's and the like, have no field before 3.2).
 */
export function openApiOf(app: FastifyInstance): Record<string, unknown> {
  const document = structuredClone(app.swagger()) as unknown as { paths?: Record<string, Record<string, unknown>> };
  for (const item of Object.values(document.paths ?? {})) {
    for (const key of Object.keys(item)) {
      if (!PATH_ITEM_METHODS.includes(key) && !key.startsWith('x-') && !['parameters', 'summary', 'description', 'servers'].includes(key)) delete item[key];
    }
  }
  return document as Record<string, unknown>;
}
