/**
 * Single-use bootstrap secrets (the provisioner pattern): a client holding
 * `secrets:bootstrap:create` stores data under a fresh token; a machine holding only the token
 * reads it exactly once (the read removes it) or discards it unread; unclaimed ones expire.
 *
 *   POST   /api/secrets/v1/bootstrap          {data: {...}, ttl?: <seconds> | expires?: <date-time>}
 *          → {token, expires}   ttl defaults to 1 hour; at most 24 hours; not both ttl and expires
 *   GET    /api/secrets/v1/bootstrap/<token>  (no Hawk: the token is the capability) → {data}; then 404
 *   DELETE /api/secrets/v1/bootstrap/<token>  → {} whether or not it was still there
 *
 * Tokens never reach a log: audit lines and request logs carry `bootstrap:<sha256 prefix>`.
 */
import { GatewayError } from '../../core/errors.js';
import { loggedToken } from '../../log.js';
import type { ApiRoute } from '../../fastify/routes.js';
import { SECRETS_PREFIX } from './api.js';
import type { SecretStore } from './store/index.js';

export const DEFAULT_BOOTSTRAP_TTL_SEC = 60 * 60;
export const MAX_BOOTSTRAP_TTL_SEC = 24 * 60 * 60;

const createBody = {
  type: 'object',
  properties: {
    data: { type: 'object' },
    ttl: { type: 'integer', minimum: 1, maximum: MAX_BOOTSTRAP_TTL_SEC },
    expires: { type: 'string', format: 'date-time' },
  },
  required: ['data'],
  additionalProperties: false,
} as const;

const tokenParams = {
  type: 'object',
  properties: { token: { type: 'string', minLength: 1, maxLength: 256 } },
  required: ['token'],
} as const;

function expiryOf(body: { ttl?: number; expires?: string }, now: number): Date {
  if (body.ttl !== undefined && body.expires !== undefined) throw new GatewayError('InputError', 'give ttl or expires, not both');
  if (body.expires === undefined) return new Date(now + (body.ttl ?? DEFAULT_BOOTSTRAP_TTL_SEC) * 1000);
  const expires = new Date(body.expires);
  if (expires.getTime() <= now) throw new GatewayError('InputError', 'expires must be in the future');
  if (expires.getTime() > now + MAX_BOOTSTRAP_TTL_SEC * 1000) throw new GatewayError('InputError', `expires must be within ${MAX_BOOTSTRAP_TTL_SEC} seconds`);
  return expires;
}

const tokenOf = (params: unknown) => (params as { token: string }).token;

export function bootstrapRoutes(store: SecretStore): ApiRoute[] {
  const byToken = { schema: { params: tokenParams }, scopes: null };
  return [
    {
      method: 'POST',
      url: `${SECRETS_PREFIX}/bootstrap`,
      name: 'createBootstrap',
      scopes: 'secrets:bootstrap:create',
      schema: { body: createBody },
      audit: { action: 'bootstrap-create' },
      handler: async (request) => {
        const body = request.body as { data: Record<string, unknown>; ttl?: number; expires?: string };
        const expires = expiryOf(body, Date.now());
        const token = await store.createBootstrap(body.data, expires, request.caller!.clientId);
        request.auditName = loggedToken(token);
        request.auditOutcome = 'created';
        return { token, expires: expires.toJSON() };
      },
    },
    {
      method: 'GET',
      url: `${SECRETS_PREFIX}/bootstrap/:token`,
      name: 'claimBootstrap',
      ...byToken,
      audit: { action: 'bootstrap-claim', entity: (request) => loggedToken(tokenOf(request.params)) },
      handler: async (request) => {
        const data = await store.claimBootstrap(tokenOf(request.params));
        if (!data) throw new GatewayError('ResourceNotFound', 'Bootstrap secret not found: unknown, expired or already claimed');
        request.auditOutcome = 'claimed';
        return { data };
      },
    },
    {
      method: 'DELETE',
      url: `${SECRETS_PREFIX}/bootstrap/:token`,
      name: 'discardBootstrap',
      ...byToken,
      audit: { action: 'bootstrap-discard', entity: (request) => loggedToken(tokenOf(request.params)) },
      handler: async (request) => {
        request.auditOutcome = (await store.discardBootstrap(tokenOf(request.params))) ? 'discarded' : 'absent';
        return {};
      },
    },
  ];
}
