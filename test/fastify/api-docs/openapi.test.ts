// The OpenAPI documents of a running gateway, served on its admin listener: valid OpenAPI 3.1
// (checked by @seriousme/openapi-schema-validator), one per listener describing only what it
// serves, Hawk as the security scheme with each route's scopes stated; the docs page and its
// assets served from the package; and every answer these calls receive matches the response
// schema its operation declares.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv } from 'ajv';
import t, { type Test } from 'tap';
import taskcluster from 'taskcluster-client';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import { secretsModule } from '../../../src/plugins/secrets/capability.js';
import { loadOrGenerateKeyFile } from '../../../src/plugins/secrets/store/index.js';
import { buildGateway } from '../../../src/server.js';
import { clients, clientsFile } from '../../plugins/secrets/gateway.js';
import { get } from '../../helpers/http.js';
import { inProcessFlags } from '../../helpers/in-process.js';

type Document = { paths: Record<string, Record<string, any>>; components: any };

async function startGateway(t: Test) {
  const dir = t.testdir();
  loadOrGenerateKeyFile(join(dir, 'keys.json'));
  writeFileSync(join(dir, 'clients.json'), JSON.stringify(clientsFile));
  const listeners = JSON.stringify([
    { name: 'main', host: '127.0.0.1', port: 0, plugins: ['secrets'] },
    { name: 'plain', host: '127.0.0.1', port: 0, plugins: [] },
  ]);
  const argv = ['--listeners', listeners, '--secrets-database', `sqlite:${join(dir, 'secrets.db')}`,
    '--secrets-keys', join(dir, 'keys.json'), '--auth-clients', join(dir, 'clients.json'), ...inProcessFlags([])];
  const loaded = loadConfig({ argv, env: {}, modules: [secretsModule] });
  loaded.core.adminPort = 1; // any non-zero port enables it; bound below on an ephemeral one
  const log = createLogger('silent', new Writable({ write: (_c, _e, done) => done() }));
  const gateway = await buildGateway(loaded, { log });
  t.teardown(() => gateway.close());
  const urls: Record<string, string> = {};
  for (const { spec, app } of gateway.listeners) urls[spec.name] = await app.listen({ host: '127.0.0.1', port: 0 });
  urls.admin = await gateway.admin!.listen({ host: '127.0.0.1', port: 0 });
  return urls;
}

const json = async (url: string) => (await fetch(url)).json() as Promise<any>;

t.test('OpenAPI per listener on the admin listener, validated; the docs page served locally', async (t) => {
  const urls = await startGateway(t);
  const validator = new Validator();
  const documents: Record<string, Document> = {};
  for (const listener of ['main', 'plain', 'admin']) {
    documents[listener] = await json(`${urls.admin}/openapi/${listener}.json`);
    const result = await validator.validate(documents[listener] as never);
    t.same({ valid: result.valid, errors: result.errors }, { valid: true, errors: undefined }, `${listener}: a valid OpenAPI document`);
    t.equal(validator.version, '3.1', `${listener}: OpenAPI 3.1`);
  }
  const main = documents.main!;
  t.match(main.components.securitySchemes.hawk, { type: 'apiKey', in: 'header', name: 'Authorization', description: /Hawk/ });
  const set = main.paths['/api/secrets/v1/secret/{*}']!.put;
  t.match(set, { operationId: 'set', summary: 'Set Secret', security: [{ hawk: [] }], 'x-taskcluster-scopes': 'secrets:set:<name>', description: /Scopes.*secrets:set:<name>/s });
  t.same(main.paths['/api/secrets/v1/ping']!.get.security, [], 'a public route requires no credentials');
  t.ok(main.paths['/references/manifest.json'], 'the listener documents its references');
  t.notOk(Object.keys(documents.plain!.paths).some((path) => path.startsWith('/api/') || path.startsWith('/references/')), 'a listener documents only what it serves');
  t.ok(documents.plain!.paths['/__heartbeat__'], 'Dockerflow on every listener');
  t.ok(documents.admin!.paths['/metrics'], 'the admin listener documents its own routes');
  const nowhere = await fetch(`${urls.admin}/openapi/nowhere.json`);
  t.equal(nowhere.status, 404);
  t.match(await nowhere.json(), { code: 'ResourceNotFound' });

  const page = await fetch(`${urls.admin}/docs/`);
  t.equal(page.status, 200);
  const html = await page.text();
  t.notMatch(html, /<script[^>]+src="https?:/, 'no script from elsewhere');
  const initializer = await (await fetch(`${urls.admin}/docs/static/swagger-initializer.js`)).text();
  t.match(initializer, /openapi\/main\.json/, 'the page offers each listener\'s document');
  const bundle = await fetch(`${urls.admin}/docs/static/swagger-ui-bundle.js`);
  t.equal(bundle.status, 200, 'Swagger UI served from the package');
  t.ok((await bundle.arrayBuffer()).byteLength > 100_000, 'the whole bundle');
});

t.test('every answer received matches the response schema its operation declares', async (t) => {
  const urls = await startGateway(t);
  const main: Document = await json(`${urls.admin}/openapi/main.json`);
  const operations = new Map<string, any>();
  for (const item of Object.values(main.paths)) for (const op of Object.values(item)) if (op?.operationId) operations.set(op.operationId, op);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const answers: Array<[string, unknown]> = [];

  const reference = async (service: string) => taskcluster.createClient(await json(`${urls.main}/references/${service}/v1/api.json`));
  const Secrets = await reference('secrets');
  const Auth = await reference('auth');
  const secrets = new Secrets({ rootUrl: urls.main!, credentials: clients.root, retries: 0 });
  const auth = new Auth({ rootUrl: urls.main!, credentials: clients.auditor, retries: 0 });
  const expires = taskcluster.fromNow('1 day');
  answers.push(['ping', await secrets.ping()]);
  answers.push(['set', await secrets.set('project/foo/a', { secret: { v: 1 }, expires })]);
  answers.push(['get', await secrets.get('project/foo/a')]);
  answers.push(['list', await secrets.list()]);
  answers.push(['getEntityHistory', await auth.getEntityHistory('secret', 'project/foo/a')]);
  answers.push(['remove', await secrets.remove('project/foo/a')]);
  const created = await secrets.createBootstrap({ data: { k: 'v' } });
  answers.push(['createBootstrap', created]);
  answers.push(['claimBootstrap', await json(`${urls.main}/api/secrets/v1/bootstrap/${created.token}`)]);
  for (const name of ['lbheartbeat', 'version', 'heartbeat']) answers.push([name, await json(`${urls.main}/__${name}__`)]);
  answers.push(['referencesManifest', await json(`${urls.main}/references/manifest.json`)]);
  answers.push(['apiReference', await json(`${urls.main}/references/secrets/v1/api.json`)]);

  for (const [operationId, body] of answers) {
    const schema = operations.get(operationId)?.responses?.['200']?.content?.['application/json']?.schema;
    t.ok(schema, `${operationId} declares its answer`);
    const validate = ajv.compile(schema ?? {});
    t.ok(validate(body), `${operationId}: the answer matches its schema ${JSON.stringify(validate.errors ?? [])}`);
  }
  // the check itself can fail: an answer missing a required field does not match
  t.notOk(ajv.compile(operations.get('get').responses['200'].content['application/json'].schema)({ secret: {} }), 'a wrong answer is caught');
});

t.test('the documents name no host: what the client says it addressed changes nothing in them', async (t) => {
  const urls = await startGateway(t);
  const plain = await get(`${urls.admin}/openapi/main.json`);
  t.equal(plain.status, 200);
  for (const host of ['evil.example', 'evil.example/x?', 'user@evil.example']) {
    const hostile = await get(`${urls.admin}/openapi/main.json`, { headers: { host, 'x-forwarded-host': host, 'x-forwarded-proto': 'javascript' } });
    t.same(hostile.body, plain.body, `Host ${JSON.stringify(host)}: the same document`);
  }
  t.notOk('servers' in plain.body, 'no servers list (it would have to come from somewhere)');
});
