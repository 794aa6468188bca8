// The taskcluster-proxy drop-in: the original's parse_test, ported, and the bin run the way
// generic-worker and docker-worker run it, against the fake deployment.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import taskcluster from 'taskcluster-client';
import { parseProgramArgs } from '../../src/cli/args.js';
import { helpText } from '../../src/cli/help.js';
import { launchOptions, overridesOf } from '../../src/cli/program.js';
import { authorizedScopesFor, taskclusterProxyProgram, taskIdOf, versionLine } from '../../src/cli/programs/taskcluster-proxy.js';
import { loadConfig } from '../../src/config/load.js';
import { WELL_FORMED_CERTIFICATE as CERTIFICATE } from '../helpers/certificate.js';
import { fetchTaskScopes } from '../../src/core/task.js';
import { startFakeTaskcluster } from '../helpers/fake-taskcluster.js';
import { clients, temporary } from '../plugins/proxy/gateway.js';
import { BIN_TEST_ENV, freePort } from '../helpers/spawn-bin.js';

const BIN = fileURLToPath(new URL('../../src/cli/taskcluster-proxy.ts', import.meta.url));
const base = ['--root-url', 'https://tc-tests.example.com', '--client-id', 'abc', '--access-token', 'ghi'];

const parse = (argv: string[]) => parseProgramArgs(taskclusterProxyProgram, argv);
/** The settings the proxy would run with, and the restriction before the task's scopes join it. */
function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const parsed = parse(argv);
  const config = loadConfig({ ...launchOptions(taskclusterProxyProgram), env, overrides: overridesOf(taskclusterProxyProgram, parsed) }).config;
  return { parsed, get: (key: string) => config.get(key), scopes: (taskScopes?: string[]) => authorizedScopesFor(parsed.positionals, taskIdOf(parsed), taskScopes) };
}
const refusal = (argv: string[]) => t.throws(() => parse(argv), { name: 'UsageError' });

t.test('parse_test', async (t) => {
  const noTask = run(base);
  t.equal(noTask.scopes(), null, 'TestNoTaskNoScopes: no restriction');
  t.equal(noTask.get('taskcluster.authorizedScopes'), null);
  t.same([noTask.get('port'), noTask.get('ipAddress')], [8080, ''], 'default :8080, all interfaces');
  t.equal(run([...base, '--port', '12345']).get('port'), 12345, 'TestNondefaultPort');
  // the original's test passes "def": it took any certificate, then failed every request; ours must be well formed
  const two = run([...base.slice(0, 4), '--certificate', CERTIFICATE, ...base.slice(4), '--port', '12345', 'a:b:c', 'd:e:f']);
  t.same(['clientId', 'certificate', 'accessToken'].map((k) => two.get(`taskcluster.${k}`)), ['abc', CERTIFICATE, 'ghi'], 'TestWithTwoScopes: credentials');
  t.throws(() => parse(['--certificate', 'def']), { message: '--certificate: expected a Taskcluster certificate as JSON, or empty for permanent credentials, got something else (not shown: sensitive)' });
  t.same(two.get('taskcluster.authorizedScopes'), ['a:b:c', 'd:e:f'], 'TestWithTwoScopes: scopes');
  const task = run([...base, '--task-id', 'abc']);
  t.same(task.scopes([]), [], 'TestWithTaskWithNoScopes: an empty list, not unrestricted');
  t.same(task.scopes(['queue:get-artifact:taskcluster-proxy-test/512-random-bytes']), ['queue:get-artifact:taskcluster-proxy-test/512-random-bytes'], 'TestWithTaskWithScopes');
  t.same(run([...base, '-t', 'abc', 'x:y']).scopes(['a:b']), ['x:y', 'a:b'], 'positional and task scopes together');
  t.same([run([...base, '--port', '12345', '--ip-address', '172.17.0.44']).get('ipAddress'), run([...base, '-i', '::1']).get('ipAddress')], ['172.17.0.44', '::1'], 'TestWithInterface');
  t.throws(() => parse(['--port', '-12345', '--ip-address', '172.17.0.44']), { message: '--port: expected a port number (0-65535), got "-12345"' }, 'TestBadPort');
  t.throws(() => parse(['--port', '65536']), { message: '--port: expected a port number (0-65535), got "65536"' });
  refusal(['-p', 'http']);
  t.throws(() => parse(['--port', '12345', '--ip-address', '172.17.0.44.66']), { message: '--ip-address: expected an IPv4 or IPv6 address, or empty for all interfaces, got "172.17.0.44.66"' }, 'TestBadIPAddress');
});

t.test('flags as workers pass them, environment fallbacks, errors', async (t) => {
  const docker = run(['--client-id=c', '--access-token=t', '--root-url=https://r.example.com', '--task-id=T', '-p', '80', 'a']);
  t.same([docker.get('taskcluster.clientId'), docker.get('taskcluster.accessToken'), docker.get('taskcluster.rootUrl'), taskIdOf(docker.parsed), docker.get('port'), docker.parsed.positionals],
    ['c', 't', 'https://r.example.com', 'T', 80, ['a']], '--flag=value (docker-worker)');
  const env = { TASKCLUSTER_ROOT_URL: 'https://env.example.com', TASKCLUSTER_CLIENT_ID: 'env-id', TASKCLUSTER_ACCESS_TOKEN: 'env-token', TASKCLUSTER_CERTIFICATE: '' };
  const generic = run(['--port', '60024', '--root-url', 'https://flag.example.com', '--ip-address', '127.0.0.1', '--allowed-user', 'task_1', '--allowed-network', '172.17.0.0/16', 'queue:create-artifact:T/0', 's:2'], env);
  t.same(['taskcluster.rootUrl', 'taskcluster.clientId', 'taskcluster.accessToken', 'taskcluster.certificate', 'allowedUser', 'allowedNetwork', 'plugins', 'listeners'].map(generic.get),
    ['https://flag.example.com', 'env-id', 'env-token', '', 'task_1', '172.17.0.0/16', ['proxy', 'bewit', 'credentials'], []],
    'generic-worker: flags win, credentials from the environment, empty certificate = permanent');
  t.equal(run(['--client-id', '', '--access-token', 'x', '--root-url', 'u'], env).get('taskcluster.clientId'), 'env-id', 'an empty flag falls back to the environment');
  for (const own of ['help', 'version', 'short-version']) t.equal(parse([`--${own}`]).own[own], true);
  t.equal(parse(['-h']).own.help, true);
  t.match(helpText(taskclusterProxyProgram), /taskcluster-proxy \[flags\] \[<scope>\.\.\.\]/);
  t.equal(versionLine('1.2.3', 'abc'), 'Taskcluster proxy 1.2.3 (git revision abc)');
  t.equal(versionLine('1.2.3', undefined), 'Taskcluster proxy 1.2.3');
  t.throws(() => parse([...base, '--bogus']), { name: 'UsageError', message: '--bogus: unknown flag (see --help)' });
});

t.test('task scopes are read without credentials', async (t) => {
  const once = { boundMs: 0, log: { info() {} } };
  const tc = await startFakeTaskcluster({ tasks: { fN1SbArXTPSVFNUvaOlinQ: { scopes: ['a:b', 'c:d'] }, aN1SbArXTPSVFNUvaOlinQ: {} } });
  t.teardown(() => tc.close());
  t.same(await fetchTaskScopes(tc.rootUrl, 'fN1SbArXTPSVFNUvaOlinQ', once), ['a:b', 'c:d']);
  t.equal(tc.requests.at(-1)?.scheme, 'none', 'no Authorization sent');
  t.same(await fetchTaskScopes(tc.rootUrl, 'aN1SbArXTPSVFNUvaOlinQ', once), [], 'a task without scopes');
  await t.rejects(fetchTaskScopes(tc.rootUrl, 'zN1SbArXTPSVFNUvaOlinQ', once), { name: 'TaskNotReadable', message: /Could not fetch Taskcluster task 'zN1SbArXTPSVFNUvaOlinQ' from .*: task not found/ });
});

interface Started {
  exit: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  kill(): void;
}

function startBin(argv: string[], env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...argv], {
    env: { ...BIN_TEST_ENV, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  t.teardown(() => void child.kill('SIGKILL'));
  return { exit, stdout: () => stdout, stderr: () => stderr, kill: () => void child.kill('SIGTERM') };
}

/** The URL the started bin's `listener` listens on, from its JSON log line. */
async function listening(started: Started, listener = 'main'): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    for (const line of started.stdout().split('\n')) {
      const url = line.startsWith('{') ? JSON.parse(line).listeners?.[listener] : undefined;
      if (url) return url;
    }
    if (Date.now() > deadline) throw new Error(`did not listen: ${started.stdout()} ${started.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

t.test('the bin: versions and refusals', async (t) => {
  const tc = await startFakeTaskcluster();
  t.teardown(() => tc.close());
  // started together: each bin takes seconds to load
  const version = startBin(['--version'], {});
  const short = startBin(['--short-version'], {});
  // one refusal is enough for the exit code and message path; the parser's tests cover the rest
  const refusals = ([[['--port', '-1'], /^taskcluster-proxy: --port: expected a port number \(0-65535\), got "-1"\n$/], [['--root-url', 'u', '--client-id', 'c'], /^taskcluster-proxy: Access token must be passed via environment variable TASKCLUSTER_ACCESS_TOKEN or command line option --access-token\n$/],
    // a check of settings together names the flags too, not the configuration keys alone
    [['--root-url', 'http://127.0.0.1:1', '--client-id', 'c', '--access-token', 't', '--allowed-network', '172.17.0.0/16'],
      /^taskcluster-proxy: setting allowedNetwork \(--allowed-network \/ GATEWAY_ALLOWED_NETWORK\) requires allowedUser \(--allowed-user \/ GATEWAY_ALLOWED_USER\): the peers found in this namespace are checked by user\n$/]] as const).map(([argv, message]) => ({ argv, message, started: startBin([...argv], {}) }));
  const noTask = startBin(['--root-url', tc.rootUrl, '--task-id', 'zN1SbArXTPSVFNUvaOlinQ'], { TASKCLUSTER_CLIENT_ID: 'c', TASKCLUSTER_ACCESS_TOKEN: 't' });

  t.equal(await version.exit, 0);
  t.match(version.stdout(), /^Taskcluster proxy \d+\.\d+\.\d+/);
  t.equal(await short.exit, 0);
  t.match(short.stdout(), /^\d+\.\d+\.\d+\n$/);
  for (const { argv, message, started } of refusals) {
    t.equal(await started.exit, 2, `${argv.join(' ')}: exit 2`);
    t.match(started.stderr(), message);
    t.notMatch(started.stderr(), /\n\s+at /, 'no stack trace');
  }
  t.equal(await noTask.exit, 1, 'a task that cannot be read stops the start');
  t.match(noTask.stderr(), /Could not fetch Taskcluster task/);
});

t.test('the start line shows the root URL without its credentials', async (t) => {
  const tc = await startFakeTaskcluster();
  t.teardown(() => tc.close());
  const rootUrl = tc.rootUrl.replace('//', '//ops:pw-root@');
  const proxy = startBin(['--port', '0', '--root-url', rootUrl, '--ip-address', '127.0.0.1'], { TASKCLUSTER_CLIENT_ID: 'c', TASKCLUSTER_ACCESS_TOKEN: 't' });
  await listening(proxy);
  const started = proxy.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((l) => l.rootUrl !== undefined);
  t.equal(started?.rootUrl, tc.rootUrl.replace('//', '//[REDACTED]@'), 'the user and password replaced, as request URLs are');
  t.notMatch(proxy.stdout() + proxy.stderr(), /pw-root/);
  proxy.kill();
  t.equal(await proxy.exit, 0);
});

t.test('the bin as generic-worker runs it', async (t) => {
  const taskId = 'fN1SbArXTPSVFNUvaOlinQ';
  const tc = await startFakeTaskcluster({ clients: Object.values(clients), tasks: { [taskId]: { scopes: ['secrets:get:project/x'] } } });
  t.teardown(() => tc.close());
  tc.route({ method: 'GET', path: '/api/secrets/v1/secret/project%2Fx', scope: 'secrets:get:project/x' });
  tc.route({ method: 'POST', path: `/api/queue/v1/task/${taskId}/runs/0/artifacts/public%2Fa`, scope: `queue:create-artifact:${taskId}/0` });
  const first = temporary(clients.worker, ['queue:*', 'secrets:get:*']);
  const proxy = startBin(
    ['--port', '0', '--root-url', tc.rootUrl, '--ip-address', '127.0.0.1', '--task-id', taskId, `queue:create-artifact:${taskId}/0`],
    { TASKCLUSTER_CLIENT_ID: first.clientId, TASKCLUSTER_ACCESS_TOKEN: first.accessToken, TASKCLUSTER_CERTIFICATE: first.certificate as string },
  );
  const url = await listening(proxy);
  t.notMatch(proxy.stdout() + proxy.stderr(), new RegExp(first.accessToken), 'the access token is never logged');

  const secrets = new taskcluster.Secrets({ rootUrl: url, credentials: {}, retries: 0 });
  const echo = await secrets.get('project/x');
  t.same([echo.clientId, echo.scheme], [clients.worker.clientId, 'hawk'], 'the task scope admits the call, signed by the proxy');
  const queue = new taskcluster.Queue({ rootUrl: url, credentials: {}, retries: 0 });
  await queue.createArtifact(taskId, 0, 'public/a', { storageType: 'object' });
  const res = await fetch(`${url}/queue/v1/ping`);
  t.equal(res.headers.get('x-taskcluster-authorized-scopes'), JSON.stringify([`queue:create-artifact:${taskId}/0`, 'secrets:get:project/x']));
  t.equal(res.headers.get('x-taskcluster-proxy-temp-clientid'), clients.worker.clientId);

  // reclaim: generic-worker PUTs new temporary credentials without a Content-Type
  const renewed = temporary(clients.worker, ['queue:create-artifact:*', 'secrets:get:project/*']);
  const put = await new Promise<number>((resolve, reject) => {
    const body = JSON.stringify(renewed);
    import('node:http').then(({ request }) => {
      const req = request(`${url}/credentials`, { method: 'PUT', headers: { 'content-length': Buffer.byteLength(body) } }, (r) => {
        r.resume();
        resolve(r.statusCode!);
      });
      req.on('error', reject);
      req.end(body);
    }, reject);
  });
  t.equal(put, 200);
  const after = await fetch(`${url}/queue/v1/whoami`);
  t.equal(after.status, 200, 'the upstream accepts the new credentials');
  t.equal(after.headers.get('x-taskcluster-proxy-temp-scopes'), JSON.stringify(['queue:create-artifact:*', 'secrets:get:project/*']), 'signing with the new credentials');
  t.equal(after.headers.get('x-taskcluster-authorized-scopes'), JSON.stringify([`queue:create-artifact:${taskId}/0`, 'secrets:get:project/x']), 'still restricted');

  proxy.kill();
  t.equal(await proxy.exit, 0, 'SIGTERM: clean exit');
});

t.test('with --admin-port, the admin listener counts the requests and documents the listener', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  const proxy = startBin(['--port', '0', '--root-url', tc.rootUrl, '--ip-address', '127.0.0.1', '--admin-port', String(await freePort()), '--admin-ip-address', '127.0.0.1'], {
    TASKCLUSTER_CLIENT_ID: clients.worker.clientId, TASKCLUSTER_ACCESS_TOKEN: clients.worker.accessToken,
  });
  const url = await listening(proxy);
  const admin = await listening(proxy, 'admin');
  t.equal((await fetch(`${url}/queue/v1/ping`)).status, 200);
  const metrics = await (await fetch(`${admin}/metrics`)).text();
  t.match(metrics, /gateway_requests_total\{listener="main",method="GET",status="200"\} 1/, 'the listener\'s requests counted');
  t.match(metrics, /gateway_process_cpu_user_seconds_total/, 'the process\'s metrics');
  const document = (await (await fetch(`${admin}/openapi/main.json`)).json()) as { paths: Record<string, unknown> };
  t.ok(['/bewit', '/credentials', '/__lbheartbeat__'].every((path) => path in document.paths), 'the listener\'s OpenAPI document');
  t.equal((await fetch(`${url}/references/queue/v1/api.json`)).status, 200, 'references still forwarded upstream');
  proxy.kill();
  t.equal(await proxy.exit, 0);
});
