/**
 * The route kit: routes as data, as Taskcluster's API builder declares them, and `declareRoutes`,
 * the only place they become Fastify routes. Every route of every plugin goes through the same
 * steps, in this order:
 *
 *   1. error rendering   the listener's one renderer (errorRenderer, registered once where the app
 *                        is made; a capability plugin depends on it, see capability.ts)
 *   2. body parsing      as the route reads its body: bounded JSON with the raw text kept (Hawk
 *                        payload hashes), text whatever the content type, or a stream left unread
 *   3. authentication    when the route states scopes: who is calling (Hawk), and do their scopes
 *      and scopes        satisfy the route's expression; a refused JSON body is told only after this
 *   4. validation        params, query and body against their JSON schemas, strictly (validation.ts)
 *   5. audit             one audit record per answered request of a route that names an action
 *   6. handler
 *
 * A route states its scopes (null when public), its schemas, title, description and stability,
 * so references and API documents can be generated from the same tables.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, LogLevel, RouteOptions } from 'fastify';
import type { GatewayEvents } from '../core/events.js';
import type { ScopeExpression } from '../core/scopes.js';
import { registerAuditLog, type AuditSubject } from './audit-log.js';
import { authorization, checkRouteScopes, type Authenticate, type AuthorizationOptions } from './authorize.js';
import { jsonBody } from './json-body.js';
import { strictValidatorCompiler } from './validation.js';

export type { AuditSubject } from './audit-log.js';

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE' | 'PATCH' | 'OPTIONS';

/** Every method Fastify routes: a forwarding route, or one answering any method as the original did. */
export const ANY_METHOD = 'ANY';

/** As Taskcluster's references have it. */
export type Stability = 'stable' | 'experimental' | 'deprecated';

/** A JSON schema (draft 07, as Taskcluster's), usually an `as const` object. */
export type JsonSchema = object;

/**
 * How a route's body is read before authentication looks at it:
 * - `json`: parsed within bounds (core/json-body.ts), the exact text kept for Hawk payload hashes;
 * - `text`: read as text whatever the Content-Type says (workers send `/credentials` untyped,
 *   `curl --data` sends `/bewit`'s URL form-encoded); `{ text: parse }` turns the text into the
 *   body, a throw answering the request;
 * - `stream`: left unread, for a handler that forwards it as it arrives.
 */
export type BodyReading = 'json' | 'text' | 'stream' | { text(raw: string): unknown };

export interface ApiRoute {
  /** One method, several (one route answering each), or any. */
  method: HttpMethod | readonly HttpMethod[] | typeof ANY_METHOD;
  /** Fastify's route syntax: `:param`, a trailing `*` wildcard. */
  url: string;
  /** The Taskcluster function name (taskcluster-client's method name): `get`, `set`, `ping`... */
  name: string;
  /** One line, as a reference's title. */
  title: string;
  /** What the route does and answers, Markdown. */
  description: string;
  /** Default `stable`. */
  stability?: Stability;
  /**
   * The scope expression the caller must satisfy, `<param>` placeholders filled from the URL;
   * null for a public route (authentication is then not even attempted). Required: a route that
   * states none is refused when declared.
   */
  scopes: ScopeExpression | null;
  /** Placeholder name → Fastify param name, for params Fastify cannot name (a wildcard `*`). */
  scopeParams?: Record<string, string>;
  /** JSON schemas of the URL's params, the query string, the request body and the 200 answer. */
  params?: JsonSchema;
  query?: JsonSchema;
  input?: JsonSchema;
  output?: JsonSchema;
  /**
   * The 200 answer is written by its `output` schema (fast-json-stringify: faster, and a field
   * the schema does not name never leaves); otherwise `output` only documents it.
   */
  serializeOutput?: boolean;
  /** Default `json`. */
  body?: BodyReading;
  /** Fastify's implied HEAD runs the GET handler: only where the route says so (a HEAD must not claim a single-use secret). */
  answersHead?: boolean;
  /** The request's own log level (a hot route logs only what goes wrong). */
  logLevel?: LogLevel;
  /** Extra route config for other Fastify plugins of the same context (`rateLimit`). */
  config?: Record<string, unknown>;
  /** What the audit log calls a request of this route; none: not audited. */
  audit?: AuditSubject;
  handler(request: FastifyRequest, reply: FastifyReply): unknown;
}

export interface RouteKitOptions {
  /** Who is calling: required when a route states scopes. */
  authenticate?: Authenticate;
  /** Front proxies whose X-Forwarded-Host/-Port/-Proto name what the client signed for (AuthorizationOptions). */
  trustedProxies?: AuthorizationOptions['trustedProxies'];
  /** Largest JSON body accepted, in bytes (default: the server's bodyLimit). */
  bodyLimit?: number;
  /** Where audited operations are counted by outcome (the gateway's tally, read by /metrics). */
  events?: GatewayEvents;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The taskcluster-client method name of the route. */
    name?: string;
    /** The route as declared, for whatever documents a listener's routes. */
    declaration?: ApiRoute;
  }
}

/** Refuses a table that cannot be served as stated, naming the route. */
function checkTable(routes: readonly ApiRoute[], options: RouteKitOptions): void {
  const names = new Set<string>();
  for (const route of routes) {
    const label = `${route.method} ${route.url}`;
    if (!route.name || !route.title || !route.description) throw new Error(`route ${label} needs a name, a title and a description`);
    checkRouteScopes({ method: route.method, url: route.url, config: { scopes: route.scopes, scopeParams: route.scopeParams } });
    if (route.scopes !== null && !options.authenticate) throw new Error(`route ${label} states scopes: declareRoutes needs option authenticate`);
    const key = `${route.method} ${route.name}`;
    if (names.has(key)) throw new Error(`route ${label}: name ${route.name} is declared twice`);
    names.add(key);
  }
}

function fastifyRoute(app: FastifyInstance, route: ApiRoute): RouteOptions {
  return {
    method: route.method === ANY_METHOD ? app.supportedMethods : typeof route.method === 'string' ? route.method : [...route.method],
    url: route.url,
    schema: {
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { querystring: route.query } : {}),
      ...(route.input ? { body: route.input } : {}),
      ...(route.output && route.serializeOutput ? { response: { 200: route.output } } : {}),
    },
    config: { ...route.config, name: route.name, scopes: route.scopes, scopeParams: route.scopeParams, audit: route.audit, declaration: route },
    exposeHeadRoute: route.answersHead ?? false,
    ...(route.logLevel ? { logLevel: route.logLevel } : {}),
    handler: route.handler,
  };
}

/** Step 2 for one context: its bodies read as `reading` says. */
function readBodies(app: FastifyInstance, reading: BodyReading): void {
  if (reading === 'json') return;
  app.removeAllContentTypeParsers();
  if (reading === 'stream') {
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));
    return;
  }
  const parse = reading === 'text' ? (raw: string) => raw : reading.text;
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, raw, done) => {
    try {
      done(null, parse(raw as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/** Declares `routes` in a context of their own, through the steps above. */
export async function declareRoutes(app: FastifyInstance, routes: readonly ApiRoute[], options: RouteKitOptions = {}): Promise<void> {
  checkTable(routes, options);
  const byReading = new Map<BodyReading, ApiRoute[]>();
  for (const route of routes) byReading.set(route.body ?? 'json', [...(byReading.get(route.body ?? 'json') ?? []), route]);
  await app.register(async (kit) => {
    // 2 and 3: JSON bodies bounded, their refusal deferred until the caller is known
    if (options.authenticate) {
      await kit.register(authorization, { authenticate: options.authenticate, trustedProxies: options.trustedProxies, bodyLimit: options.bodyLimit });
    } else if (byReading.has('json')) {
      await kit.register(jsonBody, { bodyLimit: options.bodyLimit });
    }
    // 4
    kit.setValidatorCompiler(strictValidatorCompiler());
    // 5
    if (routes.some((route) => route.audit)) registerAuditLog(kit, options.events);
    // 2, per reading, and 6
    for (const [reading, group] of byReading) {
      await kit.register(async (context) => {
        readBodies(context, reading);
        for (const route of group) context.route(fastifyRoute(context, route));
      });
    }
  });
}
