/**
 * The container image without a Docker engine: stage /app with the script the Dockerfile runs,
 * then start the Dockerfile's ENTRYPOINT with its ENV and WORKDIR, as `docker run IMAGE <flags>`
 * would (flags as docker-worker passed them), against a loopback fake Taskcluster; and run its
 * HEALTHCHECK command. `npm run test:image` (test/image/docker-run.ts) builds and runs the image
 * itself with a Docker engine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startFakeTaskcluster, type Echo } from '../helpers/fake-taskcluster.js';
import { execForm, instructions, parseDockerfile, stageEnv } from './dockerfile.js';
import { buildPackage, freePort, repo, start, waitForPort } from './processes.js';
import { withoutTapLoaders } from '../helpers/foreign-user.js';

const NOBODY = 65534;
const [buildStage, runtime, ...extra] = parseDockerfile(join(repo, 'Dockerfile'));

t.test('the Dockerfile fills /app with scripts/stage-image.sh and ships only that, as a non-root user', async (t) => {
  t.equal(extra.length, 0, 'two stages');
  t.equal(buildStage!.name, 'build');
  t.ok(instructions(buildStage!, 'RUN').some((run) => run.includes('scripts/stage-image.sh /app')), 'build stage runs the staging script into /app');
  t.same(instructions(runtime!, 'COPY'), ['--from=build /app /app'], 'runtime stage copies only /app');
  t.same(instructions(runtime!, 'WORKDIR'), ['/app']);
  t.notMatch(instructions(runtime!, 'USER').at(-1) ?? 'root', /^(root|0)$/, 'runs as a non-root user');
  const ignored = readFileSync(join(repo, '.dockerignore'), 'utf8').split('\n');
  t.ok(ignored.includes('node_modules') && ignored.includes('dist'), 'the host checkout\'s node_modules and dist never enter the build');
});

t.test('the staged image is the taskcluster-proxy drop-in: signs, restricts to the given scopes, passes its health check', async (t) => {
  buildPackage();
  const work = mkdtempSync(join(tmpdir(), 'gateway-image-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const app = join(work, 'app');
  execFileSync(join(repo, 'scripts/stage-image.sh'), [app], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60_000 });
  t.ok(existsSync(join(app, 'node_modules/fastify')), 'production dependencies installed');
  t.notOk(existsSync(join(app, 'node_modules/typescript')), 'no dev dependencies');
  t.notOk(existsSync(join(app, 'src')), 'no sources');

  const tc = await startFakeTaskcluster({ clients: [{ clientId: 'docker-worker/task', accessToken: 'task-token', scopes: ['queue:*', 'secrets:get:*'] }] });
  t.teardown(() => tc.close());
  // The image's environment and nothing of the test's. As in the image, a non-root user that
  // cannot write to the application; ports below 1024 are Docker's to open to it (see the
  // Dockerfile), so the port is set the way the image lets users set it.
  chmodSync(work, 0o755);
  const env = { ...stageEnv(runtime!), PATH: process.env.PATH!, GATEWAY_DATA_DIR: join(work, 'data'), PORT: String(await freePort()) };
  const user = { uid: NOBODY, gid: NOBODY };
  const inImage = (args: string[]) => args.map((arg) => arg.replaceAll('/app', app));
  const [command, ...args] = inImage(execForm(instructions(runtime!, 'ENTRYPOINT')[0]!));
  const healthcheck = inImage(execForm(instructions(runtime!, 'HEALTHCHECK')[0]!));
  const runHealthcheck = () => spawnSync(...withoutTapLoaders(healthcheck[0]!, healthcheck.slice(1)), { env, cwd: app, timeout: 10_000, ...user }).status;

  const scopes = ['queue:create-artifact:abc/0', 'secrets:get:project/x'];
  const dockerRunArgs = ['--client-id=docker-worker/task', '--access-token=task-token', '--certificate=', `--root-url=${tc.rootUrl}`, ...scopes];
  const proxy = start(...withoutTapLoaders(command!, [...args, ...dockerRunArgs]), { env, cwd: app, ...user });
  t.teardown(() => proxy.child.kill('SIGKILL'));
  await waitForPort(Number(env.PORT), proxy);

  const res = await fetch(`http://127.0.0.1:${env.PORT}/queue/v1/some/thing?x=1`);
  t.equal(res.status, 200, 'proxied request answered');
  const echo = (await res.json()) as Echo;
  t.equal(echo.path, '/api/queue/v1/some/thing');
  t.equal(echo.clientId, 'docker-worker/task', 'signed with the credentials given on the command line');
  t.same(echo.scopes.filter((s) => s !== 'assume:anonymous').sort(), scopes, 'restricted to the positional scopes');
  t.equal(runHealthcheck(), 0, 'HEALTHCHECK passes while serving');

  proxy.child.kill('SIGTERM');
  t.equal(await proxy.exited, 0, 'SIGTERM (docker stop) ends it cleanly');
  t.not(runHealthcheck(), 0, 'HEALTHCHECK fails when nothing answers');
});
