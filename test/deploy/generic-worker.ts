/**
 * The taskcluster-proxy as generic-worker runs it, whichever way it is shipped: copied away from
 * the checkout, started with generic-worker's exact argument list and credentials in the
 * environment (an empty certificate = permanent credentials), waited for by TCP connect, then
 * handed new temporary credentials by `PUT /credentials` without a Content-Type, and SIGKILLed.
 */
import { request } from 'node:http';
import type { Test } from 'tap';
import { reclaimedTaskCredentials } from '../helpers/reclaimed-credentials.js';
import { startFakeTaskcluster, type Echo } from '../helpers/fake-taskcluster.js';
import { freePort, start, waitForPort } from './processes.js';

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

/** Runs `command [...prefix] <generic-worker's arguments>` in `cwd` through a task's life. */
export async function runAsGenericWorker(t: Test, command: string, prefix: string[], cwd: string): Promise<void> {
  const queue = { clientId: 'static/taskcluster/queue', accessToken: 'queue-token', scopes: ['*'] };
  const worker = { clientId: 'project/worker', accessToken: 'worker-token', scopes: ['queue:*', 'secrets:get:*'] };
  const tc = await startFakeTaskcluster({ clients: [queue, worker] });
  t.teardown(() => tc.close());

  const port = await freePort();
  const scopes = ['secrets:get:project/x', 'queue:create-artifact:abc/0'];
  const proxy = start(command, [...prefix, '--port', String(port), '--root-url', tc.rootUrl, '--ip-address', '127.0.0.1', ...scopes], {
    cwd,
    env: { PATH: process.env.PATH, TASKCLUSTER_CLIENT_ID: worker.clientId, TASKCLUSTER_ACCESS_TOKEN: worker.accessToken, TASKCLUSTER_CERTIFICATE: '' },
  });
  t.teardown(() => proxy.child.kill('SIGKILL'));
  await waitForPort(port, proxy);

  const first = await proxied(port, '/queue/v1/task/abc/artifacts');
  t.equal(first.clientId, worker.clientId, 'signed with the credentials from the environment');
  t.equal(first.path, '/api/queue/v1/task/abc/artifacts');
  t.same(first.scopes.filter((s) => s !== 'assume:anonymous').sort(), [...scopes].sort(), 'restricted to the scopes on the command line');

  // it serves what the Go proxy serves and Dockerflow's routes, nothing of its own beside them:
  // references, schemas and the gateway's other routes' paths are a deployment's, forwarded as the Go proxy does
  // (the shortcut form's <service>/<version>/<rest>: with no rest, taskcluster-lib-urls ends the URL with a slash)
  const upstream = [
    ['/references/manifest.json', '/api/references/manifest.json/'], ['/references/queue/v1/api.json', '/api/references/queue/v1/api.json'],
    ['/schemas/queue/v1/task.json', '/api/schemas/queue/v1/task.json'], ['/openapi/main.json', '/api/openapi/main.json/'],
    ['/metrics/v1/x', '/api/metrics/v1/x'], ['/docs/static/index.html', '/api/docs/static/index.html'],
  ];
  for (const [path, forwarded] of upstream) t.equal((await proxied(port, path!)).path, forwarded, `${path} forwarded upstream`);

  // on reclaim: new temporary task credentials, issued by the queue
  const reclaimed = reclaimedTaskCredentials(queue);
  t.equal(await putCredentials(port, JSON.stringify(reclaimed)), 200, 'PUT /credentials without Content-Type accepted');
  const after = await proxied(port, '/queue/v1/task/abc/artifacts');
  t.equal(after.clientId, reclaimed.clientId, 'later requests are signed with the new credentials');
  t.same(after.scopes.filter((s) => s !== 'assume:anonymous').sort(), [...scopes].sort(), 'still restricted to the command line scopes');

  proxy.child.kill('SIGKILL');
  t.equal(await proxy.exited, 'SIGKILL', 'stopped the way the worker stops it');
}
