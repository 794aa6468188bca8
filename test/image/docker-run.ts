/**
 * The built image run as docker-worker runs it, with `docker run` and nothing faked inside: the
 * linked `taskcluster` container on a user-defined network, reached by its alias from a task
 * container, signing for a fake Taskcluster that runs on the host (listening on the network's
 * gateway address, the only address the containers are given). Not part of `npm test`: run by
 * scripts/test-image.sh (`npm run test:image`), which builds the image and sets TEST_IMAGE.
 */
import { PassThrough } from 'node:stream';
import t from 'tap';
import { reclaimedTaskCredentials } from '../helpers/reclaimed-credentials.js';
import { startFakeTaskcluster, type Echo } from '../helpers/fake-taskcluster.js';
import { createNetwork, docker, dockerAsync, inspect, LABEL, runDetached, waitForAnswer, waitForLog, waitHealthy } from './docker.js';

const image = process.env.TEST_IMAGE;
if (!image) throw new Error('TEST_IMAGE is not set: run this through `npm run test:image`');

const queue = { clientId: 'static/taskcluster/queue', accessToken: 'queue-token', scopes: ['*'] };
const worker = { clientId: 'docker-worker/task', accessToken: 'task-token', scopes: ['queue:*', 'secrets:get:*'] };
const scopes = ['queue:create-artifact:abc/0', 'secrets:get:project/x'];
// The image's own HEALTHCHECK command, checked every second instead of every 30 s.
const FAST_HEALTH = ['--health-interval=1s', '--health-start-period=0s'];

/**
 * A request from a task container on the network, as a task's code makes it: the image's node
 * (any container with a client would do), with docker-worker's Content-Type for bodies.
 */
const CLIENT = `
const [method, url, body] = process.argv.slice(1);
fetch(url, { method, body: body || undefined, headers: body ? { 'content-type': 'text/json' } : {} })
  .then(async (res) => console.log(JSON.stringify({ status: res.status, body: await res.text() })));`;

async function fromTask(network: string, method: string, url: string, body = ''): Promise<{ status: number; body: string }> {
  const run = await dockerAsync('run', '--rm', '--label', LABEL, '--network', network, '--entrypoint', 'node', image!, '-e', CLIENT, method, url, body);
  if (run.status !== 0) throw new Error(`task container failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as { status: number; body: string };
}

const withoutAnonymous = (echo: Echo) => echo.scopes.filter((s) => s !== 'assume:anonymous').sort();

t.test('the image: Node 24, user node, port 80, the HEALTHCHECK and entrypoint of the Dockerfile', async (t) => {
  t.comment(`image build ${process.env.TEST_IMAGE_BUILD_SECONDS ?? '?'} s, size ${process.env.TEST_IMAGE_SIZE_MB ?? '?'} MB`);
  t.match(docker('run', '--rm', '--entrypoint', 'node', image, '--version'), /^v24\./, 'ships Node 24');
  t.equal(inspect(image, '{{.Config.User}}'), 'node');
  t.match(inspect(image, '{{json .Config.ExposedPorts}}'), /"80\/tcp"/);
  t.match(inspect(image, '{{json .Config.Healthcheck.Test}}'), /__lbheartbeat__/);
  t.match(docker('run', '--rm', image, '--version'), /^Taskcluster proxy \S+$/, 'the default entrypoint is taskcluster-proxy');
});

t.test("docker-worker's linked taskcluster container", async (t) => {
  const network = createNetwork(t);
  const tc = await startFakeTaskcluster({ clients: [queue, worker], host: network.gateway });
  t.teardown(() => tc.close());

  const proxy = runDetached(t, [
    '--network', network.name, '--network-alias', 'taskcluster', ...FAST_HEALTH, image,
    '--client-id', worker.clientId, '--access-token', worker.accessToken, '--certificate', '', '--root-url', tc.rootUrl, ...scopes,
  ]);
  await waitHealthy(proxy);
  t.pass('HEALTHCHECK reports healthy');

  t.equal(docker('exec', proxy, 'id', '-u'), '1000', 'runs as uid 1000 (node)');
  t.match(docker('exec', proxy, 'cat', '/proc/1/status'), /^Uid:\s+1000\s/m, 'the server process itself is not root');
  t.match(docker('exec', proxy, 'cat', '/proc/net/tcp', '/proc/net/tcp6'), /:0050 [0-9A-F:]+ 0A /, 'listens on port 80');
  t.not((await dockerAsync('exec', proxy, 'touch', '/app/dist/x')).status, 0, '/app is read-only to it');
  t.not((await dockerAsync('exec', proxy, 'touch', '/app/x')).status, 0, '/app itself too');
  t.equal((await dockerAsync('exec', proxy, 'touch', '/data/x')).status, 0, '/data is its to write');

  const first = await fromTask(network.name, 'GET', 'http://taskcluster/queue/v1/task/abc/artifacts?x=1');
  t.equal(first.status, 200, 'reached as http://taskcluster/', { body: first.body });
  const echo = JSON.parse(first.body) as Echo;
  t.equal(echo.path, '/api/queue/v1/task/abc/artifacts');
  t.equal(echo.query, 'x=1');
  t.equal(echo.clientId, worker.clientId, 'signed with the credentials on the command line (the fake checked the signature)');
  t.same(withoutAnonymous(echo), [...scopes].sort(), 'restricted to the positional scopes');

  const reclaimed = reclaimedTaskCredentials(queue);
  const put = await fromTask(network.name, 'PUT', 'http://taskcluster/credentials', JSON.stringify(reclaimed));
  t.equal(put.status, 200, 'PUT /credentials accepted', { body: put.body });
  const after = JSON.parse((await fromTask(network.name, 'GET', 'http://taskcluster/queue/v1/task/abc/artifacts')).body) as Echo;
  t.equal(after.clientId, reclaimed.clientId, 'later requests are signed with the new credentials');
  t.same(withoutAnonymous(after), [...scopes].sort(), 'still restricted to the positional scopes');

  // docker stop while a response is still streaming: the request finishes, then the exit is clean.
  const slowBody = new PassThrough();
  tc.route({ path: '/api/queue/v1/slow', body: () => slowBody });
  const arrived = tc.nextRequest('/api/queue/v1/slow');
  const slow = fromTask(network.name, 'GET', 'http://taskcluster/queue/v1/slow');
  await arrived;
  slowBody.write('first half, ');
  const stopped = dockerAsync('stop', '--time', '30', proxy);
  await waitForLog(proxy, /closing listeners/);
  slowBody.end('second half');
  t.same(await slow, { status: 200, body: 'first half, second half' }, 'the request in flight at SIGTERM finishes');
  t.equal((await stopped).status, 0, 'docker stop returns');
  t.equal(inspect(proxy, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 0', 'SIGTERM drains and exits 0');
});

t.test('docker run IMAGE --flag=value, as docker-worker passed flags, on a published port', async (t) => {
  const network = createNetwork(t);
  const tc = await startFakeTaskcluster({ clients: [worker], host: network.gateway });
  t.teardown(() => tc.close());

  const started = performance.now();
  const proxy = runDetached(t, [
    '--network', network.name, '-p', '127.0.0.1::80', image,
    `--client-id=${worker.clientId}`, `--access-token=${worker.accessToken}`, '--certificate=', `--root-url=${tc.rootUrl}`, scopes[0]!,
  ]);
  const url = `http://${docker('port', proxy, '80/tcp').split('\n')[0]}`;
  await waitForAnswer(`${url}/__lbheartbeat__`, proxy);
  t.comment(`docker run -> first answer: ${Math.round(performance.now() - started)} ms`);

  const res = await fetch(`${url}/secrets/v1/secret/project/x`);
  t.equal(res.status, 200);
  const echo = (await res.json()) as Echo;
  t.equal(echo.path, '/api/secrets/v1/secret/project/x');
  t.equal(echo.clientId, worker.clientId);
  t.same(withoutAnonymous(echo), [scopes[0]], 'restricted to the one positional scope');
});

t.test('the other bins, through --entrypoint as the README says', async (t) => {
  const bins: Array<[string, RegExp]> = [
    ['dist/cli/gateway.js', /taskcluster-gateway/],
    ['dist/cli/host-secrets.js', /host-secrets/],
    ['dist/cli/relengapi-proxy.js', /relengapi-proxy/],
  ];
  for (const [bin, usage] of bins) {
    const run = await dockerAsync('run', '--rm', '--entrypoint', 'node', image, bin, '--help');
    t.equal(run.status, 0, `${bin} --help exits 0`);
    t.match(run.stdout, usage, `${bin} prints its usage`);
  }
});
