/**
 * Taskcluster Secrets v1 (services/secrets/src/api.js), the routes taskcluster-client's
 * `Secrets` class calls: ping, set, remove, get, list. A name may hold `/`: the route is a
 * wildcard and clients percent-encode it (`project%2Fx`), which Fastify decodes.
 */
import { GatewayError } from '../../core/errors.js';
import type { ApiRoute } from '../../fastify/routes.js';
import { pageOptions, pageQuery, secretBody, secretNameParams } from './schemas.js';
import type { SecretStore } from './store/index.js';

export const SECRETS_PREFIX = '/api/secrets/v1';

const nameOf = (params: unknown) => (params as Record<string, string>)['*']!;
const byName = { scopeParams: { name: '*' }, schema: { params: secretNameParams } };

export function secretsRoutes(store: SecretStore): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: `${SECRETS_PREFIX}/ping`,
      name: 'ping',
      scopes: null,
      handler: async () => ({ alive: true, uptime: process.uptime() }),
    },
    {
      method: 'PUT',
      url: `${SECRETS_PREFIX}/secret/*`,
      name: 'set',
      scopes: 'secrets:set:<name>',
      ...byName,
      schema: { params: secretNameParams, body: secretBody },
      audit: { action: 'set', entity: (request) => nameOf(request.params) },
      handler: async (request) => {
        const { secret, expires } = request.body as { secret: Record<string, unknown>; expires: string };
        request.auditOutcome = await store.put(nameOf(request.params), secret, new Date(expires), request.caller!.clientId);
        return {};
      },
    },
    {
      method: 'DELETE',
      url: `${SECRETS_PREFIX}/secret/*`,
      name: 'remove',
      scopes: 'secrets:set:<name>',
      ...byName,
      audit: { action: 'remove', entity: (request) => nameOf(request.params) },
      handler: async (request) => {
        // as the real service: succeeds whether or not the secret exists
        const existed = await store.remove(nameOf(request.params), request.caller!.clientId);
        request.auditOutcome = existed ? 'deleted' : 'absent';
        return {};
      },
    },
    {
      method: 'GET',
      url: `${SECRETS_PREFIX}/secret/*`,
      name: 'get',
      scopes: 'secrets:get:<name>',
      ...byName,
      audit: { action: 'get', entity: (request) => nameOf(request.params) },
      handler: async (request) => {
        // the store answers only live secrets: an expired one is as absent as a missing one
        const record = await store.get(nameOf(request.params));
        if (!record) throw new GatewayError('ResourceNotFound', 'Secret not found');
        return { secret: record.secret, expires: record.expires.toJSON() };
      },
    },
    {
      method: 'GET',
      url: `${SECRETS_PREFIX}/secrets`,
      name: 'list',
      scopes: 'secrets:list-secrets',
      schema: { querystring: pageQuery },
      handler: async (request) => {
        const page = await store.list(pageOptions(request.query));
        return { secrets: page.items, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) };
      },
    },
  ];
}
