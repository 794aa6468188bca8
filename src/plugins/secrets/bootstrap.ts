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

const createAnswer = {
  type: 'object',
  properties: { token: { type: 'string' }, expires: { type: 'string', format: 'date-time' } },
  required: ['token', 'expires'],
} as const;

const claimAnswer = { type: 'object', properties: { data: { type: 'object' } }, required: ['data'] } as const;

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
  const byToken = { params: tokenParams, scopes: null, stability: 'experimental' } as const;
  return [
    {
      method: 'POST',
      url: `${SECRETS_PREFIX}/bootstrap`,
      name: 'createBootstrap',
      title: 'Create Bootstrap Secret',
      description: 'Store `data` under a fresh single-use token, for a machine that holds no credentials yet. It expires after `ttl` seconds (default 1 hour, at most 24 hours) or at `expires`, not both.',
      stability: 'experimental',
      scopes: 'secrets:bootstrap:create',
      input: createBody,
      output: createAnswer,
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
      title: 'Claim Bootstrap Secret',
      description: 'Read the data stored under the token, exactly once: the read removes it. No Hawk: the token is the capability. 404 when it is unknown, expired or already claimed.',
      ...byToken,
      output: claimAnswer,
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
      title: 'Discard Bootstrap Secret',
      description: 'Remove the data stored under the token unread. Succeeds whether or not it was still there. No Hawk: the token is the capability.',
      ...byToken,
      output: { type: 'object', additionalProperties: false },
      audit: { action: 'bootstrap-discard', entity: (request) => loggedToken(tokenOf(request.params)) },
      handler: async (request) => {
        request.auditOutcome = (await store.discardBootstrap(tokenOf(request.params))) ? 'discarded' : 'absent';
        return {};
      },
    },
  ];
}
