/**
 * Routes as data, as Taskcluster's API builder declares them: method, url, name, the scope
 * expression (null when public), schemas, what the audit log calls the request, and the
 * handler. `declareRoutes` is the only place they become Fastify routes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { ScopeExpression } from '../core/scopes.js';

/** What one audit log line names: the action, and the entity acted on. */
export interface AuditSubject {
  action: string;
  /** The entity's name as it may appear in logs (a bootstrap token only hashed). */
  entity?(request: FastifyRequest): string;
}

export interface ApiRoute {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  url: string;
  /** The taskcluster-client method name. */
  name: string;
  scopes: ScopeExpression | null;
  scopeParams?: Record<string, string>;
  schema?: FastifySchema;
  audit?: AuditSubject;
  handler(request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    name?: string;
    audit?: AuditSubject;
  }
}

export function declareRoutes(app: FastifyInstance, routes: readonly ApiRoute[]): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      schema: route.schema ?? {},
      config: { name: route.name, scopes: route.scopes, scopeParams: route.scopeParams, audit: route.audit },
      // Fastify's implied HEAD runs the GET handler: a HEAD (a link checker, `curl -I`) would
      // claim a single-use bootstrap secret and throw its data away. The API declares no HEAD.
      exposeHeadRoute: false,
      handler: route.handler,
    });
  }
}
