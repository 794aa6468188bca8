/**
 * The dist bin `taskcluster-proxy` (npm run build: one bundled file behind
 * dist/cli/taskcluster-proxy.js, scripts/bundle-proxy.mjs) as generic-worker runs it
 * (./generic-worker.ts), on the node running the tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runAsGenericWorker } from './generic-worker.js';
import { buildPackage, repo } from './processes.js';

t.test('generic-worker runs the dist bin taskcluster-proxy', async (t) => {
  buildPackage();
  const bin = join(repo, 'dist/cli/taskcluster-proxy.js');
  t.match(readFileSync(bin, 'utf8'), /createRequire\(import\.meta\.url\)\('\.\/taskcluster-proxy\.bundle\.cjs'\)/, 'the bin loads the bundle');
  t.notMatch(readFileSync(join(repo, 'dist/cli/taskcluster-proxy.bundle.cjs'), 'utf8'), /better-sqlite3|require\("pg"\)/, 'no storage code in the bundle');
  await runAsGenericWorker(t, process.execPath, [bin], repo);
});
