/**
 * The dist bin `taskcluster-proxy` (npm run build: one bundled file behind
 * dist/cli/taskcluster-proxy.js, scripts/bundle-proxy.mjs) as generic-worker runs it
 * (./generic-worker.ts), on the node running the tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runAsGenericWorker } from './generic-worker.js';
import { buildPackage, freePort, repo, start, waitForPort } from './processes.js';

t.test('generic-worker runs the dist bin taskcluster-proxy', async (t) => {
  buildPackage();
  const bin = join(repo, 'dist/cli/taskcluster-proxy.js');
  t.match(readFileSync(bin, 'utf8'), /createRequire\(import\.meta\.url\)\('\.\/taskcluster-proxy\.bundle\.cjs'\)/, 'the bin loads the bundle');
  t.notMatch(readFileSync(join(repo, 'dist/cli/taskcluster-proxy.bundle.cjs'), 'utf8'), /better-sqlite3|require\("pg"\)/, 'no storage code in the bundle');
  await runAsGenericWorker(t, process.execPath, [bin], repo);
});

// The admin listener's docs page reads @fastify/swagger-ui's files relative to its module; in the
// bundle that module sat in dist/cli, and `--admin-port` exited at start with ENOENT
// dist/cli/static/logo.svg. The tests of src (through tsx) could not see it.
t.test('the dist bin with --admin-port serves /metrics, /config and the docs page', async (t) => {
  buildPackage();
  const port = await freePort();
  const adminPort = await freePort();
  const running = start(process.execPath, [join(repo, 'dist/cli/taskcluster-proxy.js'), '--ip-address', '127.0.0.1', '--port', String(port),
    '--admin-port', String(adminPort), '--root-url', 'http://127.0.0.1:1', '--client-id', 'project/worker', '--access-token', 'dist-bin-admin-token'], {
    cwd: repo, env: { PATH: process.env.PATH, GATEWAY_MAX_EVENT_LOOP_DELAY_MS: '0' },
  });
  t.teardown(() => { running.child.kill('SIGKILL'); });
  await waitForPort(adminPort, running);
  const admin = `http://127.0.0.1:${adminPort}`;
  t.match(await (await fetch(`${admin}/metrics`)).text(), /gateway_process_cpu_user_seconds_total/, '/metrics');
  const config = await (await fetch(`${admin}/config`)).text();
  t.match(config, /"adminPort": \d+/, '/config');
  t.notMatch(config, /dist-bin-admin-token/, '/config masks the token');
  const docs = await fetch(`${admin}/docs/`);
  t.equal(docs.status, 200, '/docs/');
  t.match(await docs.text(), /Swagger UI/);
  t.equal((await fetch(`${admin}/docs/static/logo.svg`)).status, 200, "swagger-ui's own files");
  t.equal((await fetch(`${admin}/openapi/main.json`)).status, 200, '/openapi/main.json');
  t.notMatch(running.output(), /dist-bin-admin-token/, 'the token never logged');
});
