/**
 * The native taskcluster-proxy (npm run build:sea, Node 24) as generic-worker runs it: copied away from the
 * checkout, started with generic-worker's exact argument list and credentials in the environment
 * (an empty certificate = permanent credentials), waited for by TCP connect, then handed new
 * temporary credentials by `PUT /credentials` without a Content-Type, and SIGKILLed.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createTemporaryCredentials } from '../../src/core/index.js';
import { startFakeTaskcluster, type Echo } from '../helpers/fake-taskcluster.js';
import { freePort, repo, start, waitForPort } from './processes.js';

/** generic-worker's PUT: a JSON body and no Content-Type header at all (fetch would add one). */
function putCredentials(port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/credentials', headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function proxied(port: number, path: string): Promise<Echo> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Echo;
}

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

  const queue = { clientId: 'static/taskcluster/queue', accessToken: 'queue-token', scopes: ['*'] };
  const worker = { clientId: 'project/worker', accessToken: 'worker-token', scopes: ['queue:*', 'secrets:get:*'] };
  const tc = await startFakeTaskcluster({ clients: [queue, worker] });
  t.teardown(() => tc.close());

  const port = await freePort();
  const scopes = ['secrets:get:project/x', 'queue:create-artifact:abc/0'];
  const proxy = start(executable, ['--port', String(port), '--root-url', tc.rootUrl, '--ip-address', '127.0.0.1', ...scopes], {
    cwd: dir,
    env: { PATH: process.env.PATH, TASKCLUSTER_CLIENT_ID: worker.clientId, TASKCLUSTER_ACCESS_TOKEN: worker.accessToken, TASKCLUSTER_CERTIFICATE: '' },
  });
  t.teardown(() => proxy.child.kill('SIGKILL'));
  await waitForPort(port, proxy);

  const first = await proxied(port, '/queue/v1/task/abc/artifacts');
  t.equal(first.clientId, worker.clientId, 'signed with the credentials from the environment');
  t.equal(first.path, '/api/queue/v1/task/abc/artifacts');
  t.same(first.scopes.filter((s) => s !== 'assume:anonymous').sort(), [...scopes].sort(), 'restricted to the scopes on the command line');

  // on reclaim: new temporary task credentials, issued by the queue
  const reclaimed = createTemporaryCredentials({
    clientId: 'task-client/abc/0/on/worker-group/worker-1/until/1700000000',
    start: new Date(Date.now() - 60_000),
    expiry: new Date(Date.now() + 3_600_000),
    scopes: ['queue:*', 'secrets:get:*'],
    credentials: { clientId: queue.clientId, accessToken: queue.accessToken },
  });
  t.equal(await putCredentials(port, JSON.stringify(reclaimed)), 200, 'PUT /credentials without Content-Type accepted');
  const after = await proxied(port, '/queue/v1/task/abc/artifacts');
  t.equal(after.clientId, reclaimed.clientId, 'later requests are signed with the new credentials');
  t.same(after.scopes.filter((s) => s !== 'assume:anonymous').sort(), [...scopes].sort(), 'still restricted to the command line scopes');

  proxy.child.kill('SIGKILL');
  t.equal(await proxy.exited, 'SIGKILL', 'stopped the way the worker stops it');
});
