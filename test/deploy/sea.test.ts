/**
 * The native taskcluster-proxy (npm run build:sea, Node 24) as generic-worker runs it
 * (./generic-worker.ts), and what its start-up snapshot (taken when it is built) must not keep
 * from the build: the command line, the environment, the files beside it, random values.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startFakeTaskcluster, type Echo } from '../helpers/fake-taskcluster.js';
import { checkAdminListener } from './admin-listener.js';
import { runAsGenericWorker } from './generic-worker.js';
import { freePort, repo, start, waitForPort } from './processes.js';

t.test('generic-worker runs the single executable taskcluster-proxy', async (t) => {
  // credentials and DEBUG (read by the debug package when evaluated) in the build's environment:
  // the snapshot (the warm-up boots the gateway while it is taken, src/cli/snapshot-warm-up.ts)
  // must keep none of them
  const buildEnv = { ...process.env, TASKCLUSTER_CLIENT_ID: 'build-env-client-7f3a', TASKCLUSTER_ACCESS_TOKEN: 'build-env-token-7f3a', TASKCLUSTER_ROOT_URL: 'http://build-env-root-7f3a.example', DEBUG: 'build-env-debug-7f3a' };
  const built = execFileSync('npm', ['run', 'build:sea', '--silent'], { cwd: repo, env: buildEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 120_000 });
  t.match(built, /\(linux-\w+, node v24\.\d+\.\d+\)/, 'the executable ships Node 24, whichever node built it');
  const bundle = readFileSync(join(repo, 'build/sea/taskcluster-proxy.cjs'), 'utf8');
  t.notMatch(bundle, /better-sqlite3|require\("pg"\)/, 'no storage code in the executable');

  const image = readFileSync(join(repo, 'build/sea/taskcluster-proxy'));
  t.equal(image.indexOf('build-env-'), -1, 'nothing of the build\'s environment in the executable (its snapshot)');
  const dir = mkdtempSync(join(tmpdir(), 'gateway-sea-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const executable = join(dir, 'taskcluster-proxy');
  copyFileSync(join(repo, 'build/sea/taskcluster-proxy'), executable);
  execFileSync('chmod', ['755', executable]);

  await runAsGenericWorker(t, executable, [], dir);

  // the admin listener's modules load on first use: in the executable, without node_modules,
  // the docs page's package is not there and --admin-port exited at start
  t.test('with --admin-port: /metrics, /config, the OpenAPI documents; no docs page, said so', (t) => checkAdminListener(t, executable, [], dir, false));

  t.test('each run reads its own command line, environment and config file; nonces differ between runs', async (t) => {
    const clients = [
      { clientId: 'project/first', accessToken: 'first-token', scopes: ['queue:*', 'secrets:get:*'] },
      { clientId: 'project/second', accessToken: 'second-token', scopes: ['queue:*', 'secrets:get:*'] },
    ];
    const tc = await startFakeTaskcluster({ clients });
    t.teardown(() => tc.close());
    // config/taskcluster-proxy.yml two levels above the executable, as in an installation
    const installed = join(dir, 'opt/bin/taskcluster-proxy');
    mkdirSync(join(dir, 'opt/bin'), { recursive: true });
    copyFileSync(executable, installed);
    execFileSync('chmod', ['755', installed]);
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config/taskcluster-proxy.yml'), `defaults:\n  taskcluster:\n    rootUrl: ${tc.rootUrl}\n`);

    const signedThrough = async (clientIndex: number, rootUrlFlag: string[], scope: string): Promise<Echo[]> => {
      const port = await freePort();
      const { clientId, accessToken } = clients[clientIndex]!;
      const proxy = start(installed, ['--port', String(port), ...rootUrlFlag, '--ip-address', '127.0.0.1', scope], {
        cwd: dir,
        env: { PATH: process.env.PATH, TASKCLUSTER_CLIENT_ID: clientId, TASKCLUSTER_ACCESS_TOKEN: accessToken, TASKCLUSTER_CERTIFICATE: '' },
      });
      t.teardown(() => proxy.child.kill('SIGKILL'));
      await waitForPort(port, proxy);
      const echoes: Echo[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/queue/v1/ping`);
        t.equal(res.status, 200, `${clientId}: proxied`);
        echoes.push((await res.json()) as Echo);
      }
      proxy.child.kill('SIGKILL');
      await proxy.exited;
      return echoes;
    };
    // the first run has its root URL from the config file only, the second from its flag
    const first = await signedThrough(0, [], 'secrets:get:project/first');
    const second = await signedThrough(1, ['--root-url', tc.rootUrl], 'secrets:get:project/second');
    t.same(first.map((e) => e.clientId), ['project/first', 'project/first'], 'the first run signs with its own environment\'s credentials');
    t.same(second.map((e) => e.clientId), ['project/second', 'project/second'], 'the second run with its own');
    t.same(first[0]!.scopes.filter((s) => s !== 'assume:anonymous'), ['secrets:get:project/first'], 'the first run restricted to its own command line\'s scope');
    t.same(second[0]!.scopes.filter((s) => s !== 'assume:anonymous'), ['secrets:get:project/second'], 'the second run to its own');
    const nonces = [...first, ...second].map((e) => /nonce="([^"]+)"/.exec(String(e.headers.authorization))?.[1]);
    t.equal(nonces.filter((n) => n !== undefined).length, 4, 'every request signed with a Hawk nonce');
    t.equal(new Set(nonces).size, 4, 'no nonce repeats, within a run or between runs');
  });
});
