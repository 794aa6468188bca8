// The forwarding capabilities (a wildcard answering any method) documented in a valid OpenAPI
// 3.1 document too: listed under the methods OpenAPI names, and no Taskcluster references on a
// listener that forwards whatever it is asked.
import { Validator } from '@seriousme/openapi-schema-validator';
import t from 'tap';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import { pluginModules } from '../../../src/plugins/registry.js';
import { buildGateway } from '../../../src/server.js';
import { openApiOf } from '../../../src/fastify/api-docs/openapi.js';

t.test('proxy, bewit and credentials: a valid document; no references', async (t) => {
  const loaded = loadConfig({
    argv: ['--plugins', 'proxy,bewit,credentials', '--port', '0', '--root-url', 'http://127.0.0.1:9'],
    env: { TASKCLUSTER_CLIENT_ID: 'c', TASKCLUSTER_ACCESS_TOKEN: 't'.repeat(44) },
    modules: pluginModules,
  });
  const gateway = await buildGateway(loaded, { log: createLogger('silent') });
  t.teardown(() => gateway.close());
  const { app } = gateway.listeners[0]!;
  const document = openApiOf(app) as { paths: Record<string, Record<string, unknown>> };
  const result = await new Validator().validate(document as never);
  t.same({ valid: result.valid, errors: result.errors }, { valid: true, errors: undefined }, 'a valid OpenAPI 3.1 document');
  t.same(Object.keys(document.paths['/bewit']!).sort(), ['delete', 'get', 'head', 'options', 'patch', 'post', 'put', 'trace'].sort(), 'any method: the methods OpenAPI names');
  t.ok(document.paths['/{*}'], 'the proxy wildcard');
  t.notOk(app.hasRoute({ method: 'GET', url: '/references/manifest.json' }), 'no references where every path is forwarded');
});
