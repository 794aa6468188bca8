/**
 * The host-secrets RPM (npm run package:rpm) built into a temporary topdir: its file list against
 * the spec's %files and the staged build output; then, unpacked into a temporary root, its init.d
 * script starting, reporting and stopping the bundled runtime as an unprivileged user, with the
 * shipped /etc/host-secrets.conf plus the test's values.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildPackage, freePort, repo } from './processes.js';
import { withoutTapLoaders } from '../helpers/foreign-user.js';

const PREFIX = '/opt/host-secrets';
const NOBODY_UID = 65534;

function ensureRpmbuild(): void {
  if (spawnSync('sh', ['-c', 'command -v rpmbuild']).status === 0) return;
  execFileSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=120 rpm'], { stdio: 'ignore', timeout: 180_000 });
}

const lines = (text: string) => text.split('\n').filter(Boolean);
const rpmQuery = (...args: string[]) => lines(execFileSync('rpm', ['-qp', ...args], { encoding: 'utf8' }));

/** Paths of the staged tree, as the RPM installs them under `base`. */
function treePaths(dir: string, base: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((p) => `${base}/${p}`);
}

ensureRpmbuild();
buildPackage();
const work = mkdtempSync(join(tmpdir(), 'gateway-rpm-'));
// the service user must be able to reach the unpacked prefix
chmodSync(work, 0o755);
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const topdir = join(work, 'rpm');
execFileSync(join(repo, 'scripts/package-rpm.sh'), { env: { ...process.env, RPM_TOPDIR: topdir }, stdio: ['ignore', 'ignore', 'inherit'], timeout: 150_000 });
const [rpmFile] = readdirSync(join(topdir, 'RPMS/x86_64')).map((f) => join(topdir, 'RPMS/x86_64', f));

t.test('the RPM holds exactly the spec\'s %files and the staged build output', async (t) => {
  const version = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version as string;
  t.equal(rpmQuery('--qf', '%{NAME}-%{VERSION}', rpmFile!)[0], `host-secrets-${version}`);
  const parsed = execFileSync('rpmspec', ['-P', join(repo, 'packaging/host-secrets.spec'), '--define', `version ${version}`], { encoding: 'utf8' });
  const declared = lines(parsed.slice(parsed.indexOf('\n%files') + '\n%files'.length))
    .map((line) => line.replace(/%(config|attr)\([^)]*\)\s*/g, '').trim());
  t.same(declared, [PREFIX, '/etc/init.d/host-secrets', '/usr/lib/systemd/system/host-secrets.service', '/usr/lib/systemd/system/taskcluster-gateway.service',
    '/usr/lib/systemd/system/relengapi-proxy@.service', '/etc/host-secrets.conf', '/etc/taskcluster-gateway.conf', '/etc/relengapi-proxy.conf']);

  const packaged = rpmQuery('-l', rpmFile!);
  for (const path of declared) t.ok(packaged.includes(path), `${path} is packaged`);
  t.same(packaged.filter((p) => !declared.some((d) => p === d || p.startsWith(`${d}/`))), [], 'nothing outside %files');
  const expectedPrefix = [PREFIX, `${PREFIX}/bin`, `${PREFIX}/bin/node`, `${PREFIX}/app`, ...treePaths(join(topdir, 'STAGE/app'), `${PREFIX}/app`)].sort();
  t.same(packaged.filter((p) => p === PREFIX || p.startsWith(`${PREFIX}/`)).sort(), expectedPrefix, 'the staged application and the runtime, file for file');
  t.same(rpmQuery('-c', rpmFile!).sort(), ['/etc/host-secrets.conf', '/etc/relengapi-proxy.conf', '/etc/taskcluster-gateway.conf'], 'the settings files are config files');
  t.match(rpmQuery('--scripts', rpmFile!).join('\n'), /useradd -r -g host-secrets/, 'creates the service user');
});

t.test('the init.d script starts, reports and stops host-secrets as an unprivileged user', async (t) => {
  const root = join(work, 'root');
  mkdirSync(root);
  execFileSync('sh', ['-c', `rpm2archive --nocompression - < "${rpmFile}" | tar -xf - -C "${root}"`]);
  mkdirSync(join(work, 'run'));
  mkdirSync(join(work, 'log'));
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    PREFIX: join(root, PREFIX),
    PIDFILE: join(work, 'run/host-secrets.pid'),
    LOGFILE: join(work, 'log/host-secrets.log'),
    RUN_AS: 'nobody',
  };
  const shipped = join(root, 'etc/host-secrets.conf');
  const configured = join(work, 'host-secrets.conf');
  execFileSync('cp', [shipped, configured]);
  appendFileSync(configured, `TASKCLUSTER_CLIENT_ID=project/releng/host-secrets\nTASKCLUSTER_ACCESS_TOKEN=issuer-token\nTASKCLUSTER_ALLOWED_IPS=127.0.0.1/32\nPORT=${port}\n`);
  const service = (action: string, conf = configured) => {
    const r = spawnSync(...withoutTapLoaders(join(root, 'etc/init.d/host-secrets'), [action]), { env: { ...env, CONF: conf }, encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, output: r.stdout + r.stderr };
  };
  t.teardown(() => {
    if (existsSync(env.PIDFILE)) spawnSync('kill', ['-KILL', readFileSync(env.PIDFILE, 'utf8').trim()]);
  });

  t.equal(service('status').status, 3, 'stopped before start');
  const refused = service('start', shipped);
  t.equal(refused.status, 1, 'the shipped settings, without credentials, do not start');
  t.match(refused.output, /failed to start[\s\S]*clientId/, 'and say which setting is missing');
  t.notOk(existsSync(env.PIDFILE), 'no pidfile left by the failed start');

  const started = service('start');
  t.equal(started.status, 0, started.output);
  const pid = readFileSync(env.PIDFILE, 'utf8').trim();
  const res = await fetch(`http://127.0.0.1:${port}/__lbheartbeat__`);
  t.equal(res.status, 200, 'answers /__lbheartbeat__ on the PORT of the settings file');
  t.equal(realpathSync(`/proc/${pid}/exe`), join(root, PREFIX, 'bin/node'), 'runs the bundled Node.js');
  t.equal(statSync(`/proc/${pid}`).uid, NOBODY_UID, 'runs as the service user');
  const status = service('status');
  t.equal(status.status, 0);
  t.match(status.output, `running (pid ${pid})`);
  t.match(service('start').output, 'already running', 'a second start leaves it alone');

  const stopped = service('stop');
  t.equal(stopped.status, 0, stopped.output);
  t.notOk(existsSync(`/proc/${pid}`), 'the process is gone');
  t.notOk(existsSync(env.PIDFILE), 'the pidfile is removed');
  t.equal(service('status').status, 3, 'stopped after stop');
  await t.rejects(fetch(`http://127.0.0.1:${port}/__lbheartbeat__`), 'nothing answers any more');
});
