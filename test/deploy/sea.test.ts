/**
 * The native taskcluster-proxy (npm run build:sea, Node 24) as generic-worker runs it
 * (./generic-worker.ts).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runAsGenericWorker } from './generic-worker.js';
import { repo } from './processes.js';

t.test('generic-worker runs the single executable taskcluster-proxy', async (t) => {
  const built = execFileSync('npm', ['run', 'build:sea', '--silent'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 120_000 });
  t.match(built, /\(linux-\w+, node v24\.\d+\.\d+\)/, 'the executable ships Node 24, whichever node built it');
  const bundle = readFileSync(join(repo, 'build/sea/taskcluster-proxy.cjs'), 'utf8');
  t.notMatch(bundle, /better-sqlite3|require\("pg"\)/, 'no storage code in the executable');

  const dir = mkdtempSync(join(tmpdir(), 'gateway-sea-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const executable = join(dir, 'taskcluster-proxy');
  copyFileSync(join(repo, 'build/sea/taskcluster-proxy'), executable);
  execFileSync('chmod', ['755', executable]);

  await runAsGenericWorker(t, executable, [], dir);
});
