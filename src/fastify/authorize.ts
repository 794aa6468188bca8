/**
 * The one authenticate-and-authorize step, as Taskcluster's API builder has it: every route
 * states its scope expression as data (`config: { scopes }`, `null` for a public route) and this
 * plugin's preValidation hook checks it, so 401/403 come before input validation as in
 * Taskcluster. A route that states no `scopes` fails when it is declared.
 *
 * Register it (a fastify-plugin) inside the plugin whose routes it guards, before the routes.
 * It also takes over JSON body parsing in that context (json-body.ts): the raw text is kept,
 * because a Hawk payload hash is computed over the exact bytes sent, and a body the parser
 * refuses (malformed, too deep, too many values) is answered only after authentication and the
 * scope check, so an anonymous caller learns 403 and nothing about the body.
 */
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.js';
import { removeGivenScopes, satisfiesExpression, validExpression, type ScopeExpression } from '../core/scopes.js';
import { defaultPort, type AuthenticatedCaller, type IncomingRequest } from '../core/hawk.js';
import { TrustedProxies } from '../net/trusted-proxies.js';
import { addressedHeaders, addressedProtocol, forwardedPort, type TrustedPeer } from './addressed-origin.js';
import { jsonBody } from './json-body.js';

/** Who is calling: local (core verifyRequest) or remote (the auth service's authenticateHawk). */
export type Authenticate = (request: IncomingRequest) => Promise<AuthenticatedCaller>;

export interface AuthorizationOptions {
  authenticate: Authenticate;
  /**
   * Front proxies whose X-Forwarded-Host/-Port/-Proto name what the client signed for: CIDRs,
   * fixed; or the gateway's TrustedProxies, whose list a reload changes.
   */
  trustedProxies?: readonly string[] | TrustedProxies;
  /** Largest JSON body accepted, in bytes. */
  bodyLimit?: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scope expression with `<param>` placeholders; null for a public route. Required. */
    scopes?: ScopeExpression | null;
    /** Placeholder name → Fastify param name, for params Fastify cannot name (a wildcard `*`). */
    scopeParams?: Record<string, string>;
  }
  interface FastifyRequest {
    /** The authenticated caller; null on public routes. */
    caller: AuthenticatedCaller | null;
  }
}

const PLACEHOLDER = /<([^<>]+)>/g;

function mapStrings(expression: ScopeExpression, render: (scope: string) => string): ScopeExpression {
  if (typeof expression === 'string') return render(expression);
  if ('AnyOf' in expression) return { AnyOf: expression.AnyOf.map((e) => mapStrings(e, render)) };
  return { AllOf: expression.AllOf.map((e) => mapStrings(e, render)) };
}

/** Checks a route's scope declaration; throws naming the route when it is missing or unusable. */
export function checkRouteScopes(route: { method: unknown; url: string; config?: unknown }): void {
  const name = `${String(route.method)} ${route.url}`;
  const config = route.config as { scopes?: unknown; scopeParams?: Record<string, string> } | undefined;
  if (!config || config.scopes === undefined) throw new Error(`route ${name} states no scopes (config.scopes: an expression, or null for a public route)`);
  if (config.scopes === null) return;
  let valid: boolean;
  try {
    valid = validExpression(mapStrings(config.scopes as ScopeExpression, (s) => s.replace(PLACEHOLDER, 'x')));
  } catch {
    valid = false;
  }
  if (!valid) throw new Error(`route ${name} has an invalid scope expression ${JSON.stringify(config.scopes)}`);
  mapStrings(config.scopes as ScopeExpression, (scope) => {
    for (const [, param] of scope.matchAll(PLACEHOLDER)) {
      const fastifyParam = config.scopeParams?.[param] ?? param;
      if (!route.url.includes(fastifyParam === '*' ? '*' : `:${fastifyParam}`)) throw new Error(`route ${name}: scope parameter <${param}> is not a route parameter`);
    }
    return scope;
  });
}

/** The route's expression with request params substituted; 400 when a param makes an invalid scope. */
export function requiredScopes(expression: ScopeExpression, params: Record<string, string>, scopeParams: Record<string, string> = {}): ScopeExpression {
  const rendered = mapStrings(expression, (scope) => scope.replace(PLACEHOLDER, (_, param: string) => params[scopeParams[param] ?? param] ?? ''));
  if (!validExpression(rendered)) throw new GatewayError('InputError', 'URL parameters must be printable ASCII (they become part of a scope)');
  return rendered;
}

function insufficientScopes(caller: AuthenticatedCaller, required: ScopeExpression): GatewayError {
  const unsatisfied = removeGivenScopes(caller.scopes, required);
  const block = (value: unknown) => ['```', typeof value === 'string' ? value : JSON.stringify(value, null, 2), '```'].join('\n');
  const message = [
    `Client ID ${caller.clientId} does not have sufficient scopes and is missing the following scopes:`, '', block(unsatisfied), '',
    'You have the scopes:', '', block(caller.scopes), '',
    'This request requires you to satisfy this scope expression:', '', block(required),
  ].join('\n');
  return new GatewayError('InsufficientScopes', message, { required });
}

/**
 * A Host header as hawk reads it (hawk.utils.parseHost: WHATWG URL parsing, no `/`, bounded):
 * `127.1`, `[0::1]` or `2130706433` mean what they mean to hawk. '' when it has no reading.
 */
function parseHostHeader(value: string): { name: string; port: string } {
  if (value === '' || value.length > 4096 || value.includes('/')) return { name: '', port: '' };
  try {
    const url = new URL(`http://${value}`);
    return { name: url.hostname, port: url.port };
  } catch {
    return { name: '', port: '' };
  }
}

/**
 * Host and port as the client addressed them: what its Hawk MAC covers ('' host: unreadable).
 * 400 InputError when a trusted proxy's X-Forwarded-Proto or -Port is invalid, as for every
 * other use of them (addressed-origin.ts).
 */
export function addressedHostAndPort(request: FastifyRequest, trusted: TrustedPeer): { host: string; port: number } {
  const given = addressedHeaders(request, trusted);
  const protocol = addressedProtocol(request, given);
  const { name, port: hostPort } = parseHostHeader(given.host ?? '');
  const port = forwardedPort(given) ?? Number(hostPort || defaultPort(`${protocol}:`));
  return { host: name, port };
}

/** Every Authorization header sent: Node's `headers` keeps only the first, hiding a second one. */
function authorizationHeaders(request: FastifyRequest): string | string[] | undefined {
  const raw = request.raw.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 13 && raw[i]!.toLowerCase() === 'authorization') values.push(raw[i + 1]!);
  }
  return values.length > 1 ? values : values[0];
}

export const authorization = fp<AuthorizationOptions>(
  async (app, options) => {
    if (typeof options.authenticate !== 'function') throw new Error('authorization: option authenticate must be a function');
    const { trusts } = TrustedProxies.of(options.trustedProxies);
    app.decorateRequest('caller', null);
    app.addHook('onRoute', checkRouteScopes);
    await app.register(jsonBody, { bodyLimit: options.bodyLimit, deferErrors: true });

    app.addHook('preValidation', async (request) => {
      const { scopes, scopeParams } = request.routeOptions.config;
      if (scopes !== null && scopes !== undefined) {
        const { host, port } = addressedHostAndPort(request, trusts);
        const caller = await options.authenticate({
          method: request.method,
          resource: request.url,
          host,
          port,
          authorization: authorizationHeaders(request),
          payload: request.payloadText ?? '',
          contentType: request.headers['content-type'],
        });
        request.caller = caller;
        const required = requiredScopes(scopes, request.params as Record<string, string>, scopeParams);
        if (!satisfiesExpression(caller.scopes, required)) throw insufficientScopes(caller, required);
      }
      if (request.bodyError) throw request.bodyError;
    });
  },
  { name: 'taskcluster-gateway-authorization', fastify: '5.x' },
);
