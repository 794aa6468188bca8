/**
 * The secrets' audit history, answered as the auth service's getEntityHistory
 * (`GET /api/auth/v1/audit/<entityType>/<entityId>`), so taskcluster-client's
 * `Auth.getEntityHistory('secret', name)` reads it from the gateway unchanged.
 */
import type { ApiRoute } from '../../fastify/routes.js';
import { pageOptions, pageQuery, secretNameParams } from './schemas.js';
import type { SecretStore } from './store/index.js';

export function historyRoutes(store: SecretStore): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/api/auth/v1/audit/secret/*',
      name: 'getEntityHistory',
      scopes: 'auth:audit-history:secret',
      schema: { params: secretNameParams, querystring: pageQuery },
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
