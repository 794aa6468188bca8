/**
 * The secrets' audit history, answered as the auth service's getEntityHistory
 * (`GET /api/auth/v1/audit/<entityType>/<entityId>`, scope `auth:audit-history:<entityType>`), so
 * taskcluster-client's `Auth.getEntityHistory('secret', name)` reads it from the gateway unchanged,
 * and a client built from the gateway's own reference has the same two arguments. Secrets are the
 * one entity type the gateway keeps: any other is refused by the params schema (400).
 */
import type { ApiRoute } from '../../fastify/routes.js';
import { pageOptions, pageQuery, secretNameParams } from './schemas.js';

/** `<entityType>/<entityId>`: a secret's name, as every secrets route takes it. */
const auditedEntityParams = {
  type: 'object',
  properties: { entityType: { enum: ['secret'] }, ...secretNameParams.properties },
  required: ['entityType', ...secretNameParams.required],
} as const;

/** The auth service's v1/get-entity-history-response.yml */
const auditHistory = {
  type: 'object',
  properties: {
    auditHistory: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          clientId: { type: 'string' }, actionType: { type: 'string' }, created: { type: 'string', format: 'date-time' },
          entityId: { type: 'string' }, entityType: { type: 'string' },
        },
        required: ['clientId', 'actionType', 'created', 'entityId', 'entityType'],
      },
    },
    continuationToken: { type: 'string' },
  },
  required: ['auditHistory'],
} as const;
import type { SecretStore } from './store/index.js';

export function historyRoutes(store: SecretStore): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/api/auth/v1/audit/:entityType/*',
      name: 'getEntityHistory',
      title: 'Get Entity History',
      description: 'The audit history of one entity, as the auth service answers it; the gateway keeps secrets (`entityType` `secret`): who set, removed or read one, and when, oldest first. Never a value.',
      scopes: 'auth:audit-history:<entityType>',
      scopeParams: { entityId: '*' },
      params: auditedEntityParams,
      query: pageQuery,
      output: auditHistory,
      handler: async (request) => {
        const name = (request.params as Record<string, string>)['*']!;
        const page = await store.auditHistory(name, pageOptions(request.query));
        return {
          auditHistory: page.items.map((entry) => ({
            clientId: entry.clientId,
            actionType: entry.action,
            created: entry.time.toJSON(),
            entityId: entry.name,
            entityType: 'secret',
          })),
          ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
        };
      },
    },
  ];
}
