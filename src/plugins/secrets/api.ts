/**
 * Taskcluster Secrets v1 (services/secrets/src/api.js), the routes taskcluster-client's
 * `Secrets` class calls: ping, set, remove, get, list. A name may hold `/`: the route is a
 * wildcard and clients percent-encode it (`project%2Fx`), which Fastify decodes.
 */
import { GatewayError } from '../../core/errors.js';
import type { ApiRoute } from '../../fastify/routes.js';
import { emptyAnswer, pageOptions, pageQuery, pingAnswer, secretAnswer, secretBody, secretList, secretNameParams } from './schemas.js';
import type { SecretStore } from './store/index.js';

export const SECRETS_PREFIX = '/api/secrets/v1';

const nameOf = (params: unknown) => (params as Record<string, string>)['*']!;
const byName = { scopeParams: { name: '*' }, params: secretNameParams };

export function secretsRoutes(store: SecretStore): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: `${SECRETS_PREFIX}/ping`,
      name: 'ping',
      title: 'Ping Server',
      description: 'Respond without doing anything. This endpoint is used to check that the service is up.',
      scopes: null,
      output: pingAnswer,
      handler: async () => ({ alive: true, uptime: process.uptime() }),
    },
    {
      method: 'PUT',
      url: `${SECRETS_PREFIX}/secret/*`,
      name: 'set',
      title: 'Set Secret',
      description: 'Set the secret associated with some key. If the secret already exists, it is updated instead.',
      scopes: 'secrets:set:<name>',
      ...byName,
      input: secretBody,
      output: emptyAnswer,
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
      title: 'Delete Secret',
      description: 'Delete the secret associated with some key. It will succeed whether or not the secret exists.',
      scopes: 'secrets:set:<name>',
      ...byName,
      output: emptyAnswer,
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
      title: 'Read Secret',
      description: 'Read the secret associated with some key. An expired secret is answered 404, as a missing one is. If the caller lacks the scope necessary to get the secret, the call will fail with a 403 code regardless of whether the secret exists.',
      scopes: 'secrets:get:<name>',
      ...byName,
      output: secretAnswer,
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
      title: 'List Secrets',
      description: 'List the names of all secrets. By default this end-point will try to return up to 1000 secret names in one request. But it may return less, even if more tasks are available. It may also return a `continuationToken` even though there are no more results. However, you can only be sure to have seen all results if you keep calling `list` with the last `continuationToken` until you get a result without a `continuationToken`.',
      scopes: 'secrets:list-secrets',
      query: pageQuery,
      output: secretList,
      handler: async (request) => {
        const page = await store.list(pageOptions(request.query));
        return { secrets: page.items, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) };
      },
    },
  ];
}
