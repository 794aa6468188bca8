/**
 * The dist bin `taskcluster-proxy` (npm run build: one bundled file behind
 * dist/cli/taskcluster-proxy.js, scripts/bundle-proxy.mjs) as generic-worker runs it
 * (./generic-worker.ts), on the node running the tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runAsGenericWorker } from './generic-worker.js';
import { checkAdminListener } from './admin-listener.js';
import { buildPackage, repo } from './processes.js';

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
  await checkAdminListener(t, process.execPath, [join(repo, 'dist/cli/taskcluster-proxy.js')], repo, true);
});
