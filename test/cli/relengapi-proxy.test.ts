// The relengapi-proxy bin: the original's command line as settings, and the bin itself, started
// as a process, proxying with a temporary token, refusing a task without permissions (exit 2).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { parseProgramArgs } from '../../src/cli/args.js';
import { helpText } from '../../src/cli/help.js';
import { launchOptions, overridesOf } from '../../src/cli/program.js';
import { relengapiProxyProgram } from '../../src/cli/programs/relengapi-proxy.js';
import { loadConfig } from '../../src/config/load.js';
import { startFakeRelengapi } from '../helpers/fake-relengapi.js';
import { startFakeTaskcluster } from '../helpers/fake-taskcluster.js';
import { BIN_TEST_ENV } from '../helpers/spawn-bin.js';

const TASK_ID = 'fN1SbArXTPSVFNUvaOlinQ';
const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  loadConfig({ ...launchOptions(relengapiProxyProgram), env, overrides: overridesOf(relengapiProxyProgram, parseProgramArgs(relengapiProxyProgram, args)) }).config;

t.test("the original's command line", async (t) => {
  const docker = run(['--relengapi-token=tok', '--', TASK_ID]);
  t.same([docker.get('plugins'), docker.get('relengapi.taskId'), docker.get('ipAddress'), docker.get('relengapi.token'), docker.get('port')],
    [['relengapi'], TASK_ID, '', 'tok', 8080], 'as docker-worker passed it: all interfaces, port 8080');
  t.same(run(['--relengapi-token', 'tok', TASK_ID]).getProperties(), docker.getProperties(), '--flag value and a bare taskId');
  t.equal(run(['-p', '80', '--', TASK_ID]).get('port'), 80);
  t.equal(run(['--port=8081', '--', TASK_ID]).get('port'), 8081);
  t.equal(run(['--relengapi-host', 'api.pub.build.mozilla.org', '--', TASK_ID]).get('relengapi.tokenUrl'), 'https://api.pub.build.mozilla.org/tokenauth/tokens');
  t.equal(run(['--relengapi-host=http://127.0.0.1:5000/', '--', TASK_ID]).get('relengapi.tokenUrl'), 'http://127.0.0.1:5000/tokenauth/tokens');
  // a host and nothing else: the permanent token goes to what this names
  for (const bad of ['evil.example/steal?x=', 'user:pw@host.example', 'host.example#frag', 'host.example/path', 'ftp://host.example', 'http://', 'https://host.example?q', 'host.example\\x']) {
    t.throws(() => run(['--relengapi-host', bad, '--', TASK_ID]), { name: 'UsageError', message: /^--relengapi-host: expected a host name/ }, bad);
  }
  t.throws(() => run(['--relengapi-host', 'user:pw-secret@host.example', '--', TASK_ID]), { message: /^(?!.*pw-secret)/ }, 'a password in it is not quoted');
  t.throws(() => run(['--relengapi-host', 'host.example/tokens', '--', TASK_ID]), { message: /got "host\.example\/tokens"$/ }, 'the value quoted as typed');
  t.throws(() => run(['--relengapi-host', 'host.example?token=q-secret', '--', TASK_ID]), { message: /got "host\.example\?token=\[REDACTED\]"$/ }, 'as typed, its token masked');
  t.equal(run(['--relengapi-host', 'relengapi.example:8443', '--', TASK_ID]).get('relengapi.tokenUrl'), 'https://relengapi.example:8443/tokenauth/tokens');
  t.match(helpText(relengapiProxyProgram), /relengapi-proxy \[flags\] -- <taskId>/);
  t.equal(relengapiProxyProgram.version(), `RelengAPI proxy ${packageJson.version}`);
});

t.test('our additions', async (t) => {
  const config = run([
    '--relengapi-token-file', '/run/secrets/relengapi',
    '--relengapi-url=https://tokens.example.net/tokens',
    '--relengapi-host', 'ignored.example.net',
    '--relengapi-route=/tooltool=https://tooltool.example.net,/mapper=https://mapper.example.net',
    '--root-url', 'https://tc.example.net',
    '--', TASK_ID,
  ]);
  t.equal(config.get('relengapi.tokenFile'), '/run/secrets/relengapi');
  t.equal(config.get('relengapi.tokenUrl'), 'https://tokens.example.net/tokens', '--relengapi-url wins over --relengapi-host');
  t.same(config.get('relengapi.routes'), ['/tooltool=https://tooltool.example.net', '/mapper=https://mapper.example.net'], 'routes comma-separated');
  t.equal(config.get('taskcluster.rootUrl'), 'https://tc.example.net');
  t.equal(run(['--', TASK_ID], { GATEWAY_IP_ADDRESS: '10.0.0.1' }).get('ipAddress'), '10.0.0.1', 'GATEWAY_IP_ADDRESS wins');
  const defaults = run(['--relengapi-token', 'tok', '--', TASK_ID]);
  t.same(defaults.get('relengapi.routes'), ['/tooltool=https://tooltool.mozilla-releng.net', '/treestatus=https://treestatus.mozilla-releng.net', '/mapper=https://mapper.mozilla-releng.net']);
  t.equal(defaults.get('relengapi.tokenUrl'), 'https://tokens.mozilla-releng.net/tokens');
});

const bin = fileURLToPath(new URL('../../src/cli/relengapi-proxy.ts', import.meta.url));

function startBin(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, ...args], { env: { ...BIN_TEST_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** A fake RelengAPI granting the task's permission and a fake Taskcluster serving the task (closed when the test ends), and the bin's command line for them. */
async function binUpstreams(t: Test) {
  const permanentToken = 'bin-permanent-token';
  const relengapi = await startFakeRelengapi({ permanentToken, grantable: ['tooltool.download.public'] });
  const tc = await startFakeTaskcluster({ tasks: { [TASK_ID]: { scopes: ['docker-worker:relengapi-proxy:tooltool.download.public'] } } });
  t.teardown(async () => {
    await relengapi.close();
    await tc.close();
  });
  const args = ['-p', '0', `--relengapi-token=${permanentToken}`, '--relengapi-url', relengapi.tokenUrl, '--relengapi-route',
    // a base URL with credentials, which the start line must not show
    `/tooltool=${relengapi.url}/base,/mapper=http://ops:pw-route@127.0.0.1:1`, '--root-url', tc.rootUrl, '--', TASK_ID];
  return { relengapi, args };
}

t.test('the bin proxies with a temporary token and exits 0 on SIGTERM', async (t) => {
  const { relengapi, args } = await binUpstreams(t);
  const proxy = startBin(args);
  t.teardown(() => proxy.child.kill('SIGKILL'));
  const url = await new Promise<string>((resolve, reject) => {
    proxy.child.stdout.on('data', () => {
      const match = /"main":"http:\/\/[^"]*:(\d+)"/.exec(proxy.output().stdout);
      if (match) resolve(`http://127.0.0.1:${match[1]}`);
    });
    void proxy.exited.then((code) => reject(new Error(`exited ${code}: ${proxy.output().stderr}`)));
  });
  const res = await fetch(`${url}/tooltool/sha512/abc?x=1`);
  t.equal(res.status, 200);
  const echo = await res.json();
  t.equal(echo.path, '/base/sha512/abc');
  t.equal(echo.headers.authorization, `Bearer ${relengapi.issued[0]!.token}`);
  t.equal((await fetch(`${url}/elsewhere`)).status, 404, 'an unknown service is a 404, and the proxy lives on');
  t.equal((await fetch(`${url}/tooltool/again`)).status, 200);
  proxy.child.kill('SIGTERM');
  t.equal(await proxy.exited, 0);
  const { stdout, stderr } = proxy.output();
  t.notOk(`${stdout}${stderr}`.includes(relengapi.issued[0]!.token), 'no temporary token in the output');
  t.notMatch(stdout + stderr, /pw-route/, 'no route\'s password in the output');
  t.match(stdout, '/mapper=http://[REDACTED]@127.0.0.1:1', 'the route shown without it');
});

t.test('the bin refuses a task without RelengAPI scopes: exit 2, one line', async (t) => {
  const tc = await startFakeTaskcluster({ tasks: { [TASK_ID]: { scopes: ['queue:x'] } } });
  t.teardown(() => tc.close());
  const proxy = startBin(['-p', '0', '--relengapi-token=tok', '--root-url', tc.rootUrl, '--', TASK_ID]);
  t.equal(await proxy.exited, 2);
  t.equal(proxy.output().stderr, `relengapi-proxy: No RelengAPI permission scopes (matching 'docker-worker:relengapi-proxy:*') found on task ${TASK_ID}\n`);
});

t.test('SIGHUP reloads the bin\'s config file: a restart-only change named, a bad file refused, the proxy serving throughout', async (t) => {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { args } = await binUpstreams(t);
  const config = join(t.testdir(), 'relengapi.yml');
  writeFileSync(config, 'logLevel: info\n');
  const proxy = startBin(args, { GATEWAY_CONFIG: config });
  t.teardown(() => proxy.child.kill('SIGKILL'));
  const text = () => proxy.output().stdout + proxy.output().stderr;
  const waitFor = async (pattern: RegExp, from: number) => {
    while (!pattern.test(text().slice(from))) {
      if (proxy.child.exitCode !== null) throw new Error(`exited: ${text()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return text().slice(from);
  };
  const url = `http://127.0.0.1:${/"main":"http:\/\/[^"]*:(\d+)"/.exec(await waitFor(/"main":"http:\/\/[^"]*:\d+"/, 0))![1]}`;
  t.equal((await fetch(`${url}/tooltool/a`)).status, 200);

  writeFileSync(config, 'logLevel: info\nrelengapi:\n  tokenLifetimeMs: 300000\n');
  let mark = text().length;
  proxy.child.kill('SIGHUP');
  t.match(await waitFor(/"msg":"configuration reloaded"/, mark), /"msg":"configuration reloaded; needs restart to apply: relengapi.tokenLifetimeMs"/);
  t.equal((await fetch(`${url}/tooltool/b`)).status, 200, 'serving after the reload');

  writeFileSync(config, 'logLevel: [\n');
  mark = text().length;
  proxy.child.kill('SIGHUP');
  t.match(await waitFor(/configuration not reloaded/, mark), `configuration not reloaded, the previous one keeps serving: config file ${config}: `);
  t.equal((await fetch(`${url}/tooltool/c`)).status, 200, 'serving after the refused reload');
  proxy.child.kill('SIGTERM');
  t.equal(await proxy.exited, 0);
});
