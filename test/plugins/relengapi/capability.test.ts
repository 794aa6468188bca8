import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ORIGINAL_ROUTES, ORIGINAL_TOKEN_URL, relengapiSchema } from '../../../src/plugins/relengapi/capability.js';
import { PERMANENT_TOKEN, setup, TASK_ID } from './gateway-setup.js';

const OTHER_TASK = 'aN1SbArXTPSVFNUvaOlinQ';
const MISSING_TASK = 'bN1SbArXTPSVFNUvaOlinQ';

t.test("defaults are the original's last release", async (t) => {
  t.equal(relengapiSchema.relengapi.tokenUrl.default, 'https://tokens.mozilla-releng.net/tokens');
  t.equal(ORIGINAL_TOKEN_URL, relengapiSchema.relengapi.tokenUrl.default);
  t.same(relengapiSchema.relengapi.routes.default, ORIGINAL_ROUTES);
  t.same(ORIGINAL_ROUTES, ['/tooltool=https://tooltool.mozilla-releng.net', '/treestatus=https://treestatus.mozilla-releng.net', '/mapper=https://mapper.mozilla-releng.net']);
  t.equal(relengapiSchema.relengapi.tokenLifetimeMs.default, 600_000);
  t.equal(relengapiSchema.relengapi.renewBeforeMs.default, 10_000);
  t.notOk('env' in relengapiSchema.relengapi.token, 'the permanent token has no environment variable');
  t.ok(relengapiSchema.relengapi.token.sensitive, 'and is masked when the config is printed');
});

t.test('the gateway refuses to start without a usable task', async (t) => {
  const { tc, relengapi, start } = await setup(t);
  tc.tasks.set(OTHER_TASK, { scopes: ['queue:x', 'docker-worker:relengapi-proxy:*'] });
  await t.rejects(start({ 'relengapi.taskId': MISSING_TASK }), { name: 'ConfigError', message: `Could not fetch Taskcluster task '${MISSING_TASK}' from ${tc.rootUrl}: task not found` });
  await t.rejects(start({ 'relengapi.taskId': OTHER_TASK }), { name: 'ConfigError', message: `No RelengAPI permission scopes (matching 'docker-worker:relengapi-proxy:*') found on task ${OTHER_TASK}` });
  // a queue that cannot answer is an outage, not a configuration error (exit 1, not 2), even when told to start anyway
  tc.route({ path: `/api/queue/v1/task/${TASK_ID}`, status: 500, body: { code: 'InternalServerError', message: 'queue down' } });
  const outage = await start({ 'relengapi.startWithoutPermissions': true }).catch((err: Error) => err);
  t.not((outage as Error).name, 'ConfigError');
  t.match(outage, { message: /Could not fetch Taskcluster task .*queue down/ });
  t.equal(relengapi.tokenRequests.length, 0);
});

t.test('or, configured to start anyway, answers 403', async (t) => {
  const { tc, relengapi, start } = await setup(t);
  tc.tasks.set(OTHER_TASK, { scopes: ['queue:x'] });
  const { url, logs } = await start({ 'relengapi.taskId': OTHER_TASK, 'relengapi.startWithoutPermissions': true });
  const res = await fetch(`${url}/tooltool/x`);
  t.equal(res.status, 403);
  t.match(await res.json(), { code: 'ForbiddenRequest', message: /No RelengAPI permission scopes .* found on task aN1SbArXTPSVFNUvaOlinQ/ });
  t.equal((await fetch(`${url}/treestatus/x`)).status, 404, 'unknown prefixes are still 404');
  t.match(logs(), /answering 403 to every RelengAPI request/);
  t.equal(relengapi.tokenRequests.length, 0);

  const missing = await start({ 'relengapi.taskId': MISSING_TASK, 'relengapi.startWithoutPermissions': true });
  t.match(await (await fetch(`${missing.url}/mapper/x`)).json(), { code: 'ForbiddenRequest', message: /task not found/ });
});

t.test('settings are checked, each error naming its setting', async (t) => {
  const { start } = await setup(t);
  const refusals: Array<[Record<string, unknown>, RegExp]> = [
    [{ 'relengapi.taskId': '' }, /relengapi\.taskId/],
    [{ 'taskcluster.rootUrl': '' }, /taskcluster\.rootUrl/],
    [{ 'relengapi.token': '' }, /relengapi\.token \(--relengapi-token or --relengapi-token-file\)/],
    [{ 'relengapi.tokenFile': '/no/such/file' }, /relengapi\.token and relengapi\.tokenFile are exclusive/],
    [{ 'relengapi.token': '', 'relengapi.tokenFile': '/no/such/file' }, /relengapi\.tokenFile: cannot read \/no\/such\/file: ENOENT/],
    [{ 'relengapi.routes': ['tooltool'] }, /relengapi\.routes: 'tooltool'/],
    [{ 'relengapi.tokenUrl': 'nope' }, /relengapi\.tokenUrl/],
    [{ 'relengapi.tokenLifetimeMs': 1000, 'relengapi.renewBeforeMs': 1000 }, /relengapi\.renewBeforeMs must be shorter/],
  ];
  for (const [overrides, message] of refusals) await t.rejects(start(overrides), { name: 'ConfigError', message }, JSON.stringify(overrides));
});

t.test('the permanent token can come from a file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'relengapi-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'token');
  await writeFile(file, `${PERMANENT_TOKEN}\n`, { mode: 0o600 });
  const { relengapi, start } = await setup(t);
  const { url } = await start({ 'relengapi.token': '', 'relengapi.tokenFile': file });
  t.equal((await fetch(`${url}/tooltool/x`)).status, 200);
  t.equal(relengapi.tokenRequests[0]!.headers.authorization, `Bearer ${PERMANENT_TOKEN}`, 'file content, trailing newline dropped');

  await writeFile(join(dir, 'empty'), '\n');
  await t.rejects(start({ 'relengapi.token': '', 'relengapi.tokenFile': join(dir, 'empty') }), { name: 'ConfigError', message: /relengapi\.tokenFile .*empty/ });
});
