// The host-secrets bin: the original start script's flags, each equal to its environment
// variable; and the bin itself, started as a process, serving credentials and stopping on SIGTERM.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parseProgramArgs, programFlags } from '../../src/cli/args.js';
import { launchOptions, overridesOf } from '../../src/cli/program.js';
import { hostSecretsProgram } from '../../src/cli/programs/host-secrets.js';
import { loadConfig } from '../../src/config/load.js';
import { get, baseEnv } from '../plugins/host-secrets/harness.js';
import { ptrName, startZoneServer } from '../plugins/host-secrets/zone-server.js';
import { BIN_TEST_ENV } from '../helpers/spawn-bin.js';

const settingsOf = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  loadConfig({ ...launchOptions(hostSecretsProgram), env, overrides: overridesOf(hostSecretsProgram, parseProgramArgs(hostSecretsProgram, argv)) }).config;

t.test('the original start script\'s flags set the settings its environment variables set', async (t) => {
  const original: Record<string, string> = {
    'scope-base': 'TASKCLUSTER_SCOPE_BASE', 'client-id-base': 'TASKCLUSTER_CLIENT_ID_BASE', expires: 'TASKCLUSTER_CREDENTIALS_EXPIRE',
    'allowed-ips': 'TASKCLUSTER_ALLOWED_IPS', 'client-id': 'TASKCLUSTER_CLIENT_ID', token: 'TASKCLUSTER_ACCESS_TOKEN', port: 'PORT', env: 'DEPLOY_ENV',
    'force-ssl': 'FORCE_SSL', 'trust-proxy': 'TRUST_PROXY',
  };
  const flags = new Map(programFlags(hostSecretsProgram).map((f) => [f.long, f]));
  for (const [flag, env] of Object.entries(original)) t.equal(flags.get(flag)?.setting?.spec.env, env, `--${flag} is ${env}`);
});

t.test('lists take commas or spaces', async (t) => {
  t.same(settingsOf(['--allowed-ips', '10.0.0.0/8 192.168.0.0/16,::1']).get('hostSecrets.allowedIps'), ['10.0.0.0/8', '192.168.0.0/16', '::1']);
});

t.test('switches: bare means true, or take a true/false word', async (t) => {
  t.equal(settingsOf(['--force-ssl']).get('forceSsl'), true);
  t.equal(settingsOf(['--force-ssl', '--trust-proxy']).get('trustProxy'), true);
  t.equal(settingsOf(['--force-ssl', 'false']).get('forceSsl'), false);
  t.equal(settingsOf(['--trust-proxy=0']).get('trustProxy'), false);
  t.throws(() => settingsOf(['--force-ssl=maybe']), { name: 'UsageError', message: '--force-ssl: expected true or false, got "maybe"' });
});

t.test('defaults: only host-secrets, all interfaces, port 60401 unless PORT or --port', async (t) => {
  t.same([settingsOf([]).get('plugins'), settingsOf([]).get('port'), settingsOf([]).get('ipAddress')], [['host-secrets'], 60401, '']);
  t.equal(settingsOf([], { PORT: '8000' }).get('port'), 8000, 'PORT wins');
  t.equal(settingsOf(['--port', '8001'], { PORT: '8000' }).get('port'), 8001, '--port wins over PORT');
  t.equal(settingsOf([], { GATEWAY_IP_ADDRESS: '10.0.0.1' }).get('ipAddress'), '10.0.0.1', 'GATEWAY_IP_ADDRESS wins');
  t.equal(settingsOf(['--env', 'production']).get('forceSsl'), true, '--env picks the section of config/host-secrets.yml');
});

t.test('the bin serves credentials from the configured settings and exits 0 on SIGTERM', async (t) => {
  const zone = await startZoneServer({ PTR: { [ptrName('127.0.0.5')]: ['bin.test.example.com'] }, A: { 'bin.test.example.com': ['127.0.0.5'] } });
  t.teardown(() => zone.close());
  const bin = fileURLToPath(new URL('../../src/cli/host-secrets.ts', import.meta.url));
  const { TASKCLUSTER_SCOPE_BASE, TASKCLUSTER_CLIENT_ID_BASE, ...env } = baseEnv;
  const child = spawn(process.execPath, ['--import', 'tsx', bin, '--port', '0', '--scope-base', TASKCLUSTER_SCOPE_BASE!, `--client-id-base=${TASKCLUSTER_CLIENT_ID_BASE}`, '--expires', '2 hours', '--dns-servers', zone.server], {
    env: { ...BIN_TEST_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const match = /"main":"http:\/\/[^"]*:(\d+)"/.exec(out);
      if (match) resolve(`http://127.0.0.1:${match[1]}`);
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  const answer = await get(`${url}/v1/credentials`, { localAddress: '127.0.0.5' });
  t.equal(answer.status, 200, stderr);
  t.equal(answer.body.credentials.clientId, 'project/releng/host/com.example.test.bin');
  const cert = JSON.parse(answer.body.credentials.certificate);
  t.equal(cert.expiry - cert.start, 2 * 3600 * 1000, '--expires sets the lifetime');
  t.match(await get(`${url}/v1/ping`), { status: 200, body: { alive: true } });
  child.kill('SIGTERM');
  t.equal(await exited, 0);
});

t.test('the bin refuses a bad setting with exit code 2 and one line naming it', async (t) => {
  const bin = fileURLToPath(new URL('../../src/cli/host-secrets.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', bin, '--port', '0', '--expires', '40 days'], { env: { ...BIN_TEST_ENV, ...baseEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 2);
  t.match(stderr, /^host-secrets: setting hostSecrets\.credentialsExpire \(TASKCLUSTER_CREDENTIALS_EXPIRE, --expires\): "40 days" is longer than the 31 days/);
});

t.test('SIGHUP reloads the bin\'s configuration file: allow-list and client-id base live, the DNS timeout named as needing a restart, a value a start refuses refused', async (t) => {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const zone = await startZoneServer({ PTR: { [ptrName('127.0.0.5')]: ['bin.test.example.com'] }, A: { 'bin.test.example.com': ['127.0.0.5'] } });
  t.teardown(() => zone.close());
  const config = join(t.testdir(), 'host-secrets.yml');
  const write = (clientIdBase: string, allowedIps: string, extra = '') =>
    writeFileSync(config, `hostSecrets:\n  clientIdBase: ${clientIdBase}\n  allowedIps: ["${allowedIps}"]\n${extra}`);
  write('project/releng/host/', '127.0.0.0/8');
  const bin = fileURLToPath(new URL('../../src/cli/host-secrets.ts', import.meta.url));
  const { TASKCLUSTER_CLIENT_ID_BASE: _base, TASKCLUSTER_ALLOWED_IPS: _ips, ...env } = baseEnv;
  const child = spawn(process.execPath, ['--import', 'tsx', bin, '--port', '0', '--config', config, '--dns-servers', zone.server], {
    env: { ...BIN_TEST_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, from: number) => {
    while (!pattern.test(out.slice(from))) {
      if (child.exitCode !== null) throw new Error(`exited: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return out.slice(from);
  };
  const url = `http://127.0.0.1:${/"main":"http:\/\/[^"]*:(\d+)"/.exec(await waitFor(/"main":"http:\/\/[^"]*:\d+"/, 0))![1]}`;
  const ask = () => get(`${url}/v1/credentials`, { localAddress: '127.0.0.5' });
  t.equal((await ask()).body.credentials.clientId, 'project/releng/host/com.example.test.bin');

  write('project/other/', '127.0.0.0/8');
  let mark = out.length;
  child.kill('SIGHUP');
  await waitFor(/"msg":"configuration reloaded"/, mark);
  t.equal((await ask()).body.credentials.clientId, 'project/other/com.example.test.bin', 'the new client-id base');

  write('project/other/', '10.0.0.0/8', '  dnsTimeoutMs: 500\n');
  mark = out.length;
  child.kill('SIGHUP');
  const logged = await waitFor(/"msg":"configuration reloaded"/, mark);
  t.match(logged, /"msg":"configuration reloaded; needs restart to apply: hostSecrets.dnsTimeoutMs"/);
  t.match(await ask(), { status: 403, body: { code: 'IPNotAllowed' } }, 'the new allow-list');

  // a DNS timeout of 0 is a number its format accepts, and restart-only: a start refuses it, so does a reload, whole
  write('project/other/', '127.0.0.0/8', '  dnsTimeoutMs: 0\n');
  mark = out.length;
  child.kill('SIGHUP');
  t.match(await waitFor(/configuration not reloaded/, mark), new RegExp(`"msg":"configuration not reloaded, the previous one keeps serving: setting hostSecrets\\.dnsTimeoutMs \\(GATEWAY_DNS_TIMEOUT_MS, --dns-timeout-ms\\): must be positive \\(config files: [^"]*${config}\\)"`));
  t.match(await ask(), { status: 403 }, 'the allow-list of the same file did not apply');

  writeFileSync(config, 'hostSecrets:\n  allowedIps: [127.0.0.0/8\n');
  mark = out.length;
  child.kill('SIGHUP');
  t.match(await waitFor(/configuration not reloaded/, mark), new RegExp(`configuration not reloaded, the previous one keeps serving: config file ${config}: `));
  t.match(await ask(), { status: 403 }, 'the bad file changed nothing');
  child.kill('SIGTERM');
  t.equal(await exited, 0);
});
