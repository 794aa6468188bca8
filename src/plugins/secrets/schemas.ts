/**
 * The JSON schemas of the secrets API: Taskcluster's own (services/secrets/schemas/v1) where
 * the real service has one, so clients get the same 400s.
 */
import type { PageOptions } from './store/index.js';

/** Like the real service: at most this many names or audit rows per page. */
export const MAX_PAGE_SIZE = 1000;

/** A secret name becomes part of a scope, so it is printable ASCII; `/` allowed. */
export const secretNameParams = {
  type: 'object',
  properties: { '*': { type: 'string', minLength: 1, pattern: '^[\\x20-\\x7e]+$' } },
  required: ['*'],
} as const;

/** v1/secret.yml */
export const secretBody = {
  type: 'object',
  properties: {
    secret: { type: 'object' },
    expires: { type: 'string', format: 'date-time' },
  },
  additionalProperties: false,
  required: ['secret', 'expires'],
} as const;

/** v1/secret.yml as `get` answers it. */
export const secretAnswer = secretBody;

/** v1/secret-list.yml */
export const secretList = {
  type: 'object',
  properties: {
    secrets: { type: 'array', items: { type: 'string' } },
    continuationToken: { type: 'string' },
  },
  additionalProperties: false,
  required: ['secrets'],
} as const;

/** An answer with nothing to say: `{}`. */
export const emptyAnswer = { type: 'object', additionalProperties: false } as const;

/** What ping answers, here and in the other services. */
export const pingAnswer = {
  type: 'object',
  properties: { alive: { type: 'boolean' }, uptime: { type: 'number' } },
  required: ['alive', 'uptime'],
} as const;

/** paginateResults.query, plus the bewit a signed URL carries. */
export const pageQuery = {
  type: 'object',
  properties: {
    continuationToken: { type: 'string', minLength: 1 },
    limit: { type: 'integer', minimum: 1 },
    bewit: { type: 'string' },
  },
  additionalProperties: false,
} as const;

export function pageOptions(query: unknown): PageOptions {
  const { continuationToken, limit } = query as { continuationToken?: string; limit?: number };
  return { limit: Math.min(limit ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE), ...(continuationToken ? { continuationToken } : {}) };
}
