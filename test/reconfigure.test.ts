// Configuration reloaded without a restart (issue 17 §3): the gateway built as the bins build it,
// reloaded through the same entry point SIGHUP calls (gateway.reconfigure with the start's load),
// its config file and clients file rewritten between reloads.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { loadConfig, printableConfig } from '../src/config/load.js';
import { buildGateway } from '../src/server.js';
import { createLogger } from '../src/log.js';
import { secretsModule } from '../src/plugins/secrets/capability.js';
import { loadOrGenerateKeyFile } from '../src/plugins/secrets/store/index.js';
import { changedSettings } from '../src/reconfigure.js';
import { gatewayWithAdmin, samplesOf } from './helpers/metrics.js';
import { clients, clientsFile } from './plugins/secrets/gateway.js';
import { signedFetch, signedHeader } from './plugins/secrets/suite-input.js';

/** The client whose scope the reloads grant and revoke. */
const flipper = { clientId: 'project/flipper', accessToken: 'f'.repeat(44) };
const SECRET = 'project/foo/reloaded';

function clientsText(granted: boolean, extraRoles: Array<{ roleId: string; scopes: string[] }> = []): string {
  return JSON.stringify({
    clients: [...clientsFile.clients, { ...flipper, scopes: granted ? [`secrets:get:${SECRET}`] : [] }],
    roles: [...clientsFile.roles, ...extraRoles],
  });
}

/** A gateway started with the config file's lines given (then its secrets section), reloaded as SIGHUP reloads it. */
async function reloadingGateway(t: Test, startLines = ['logLevel: info']) {
  const dir = t.testdir();
  const files = { config: join(dir, 'gateway.yml'), clients: join(dir, 'clients.json'), keys: join(dir, 'keys.json') };
  loadOrGenerateKeyFile(files.keys);
  writeFileSync(files.clients, clientsText(true));
  /** The config file: the lines given, then the secrets section (the clients file, and the secrets lines given). */
  const writeConfig = (lines: string[], secrets: string[] = []) => writeFileSync(files.config, [...lines, `secrets:`, `  authClients: ${files.clients}`, ...secrets].join('\n') + '\n');
  writeConfig(startLines);
  const lines: Array<Record<string, any>> = [];
  const log = createLogger('info', new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean).map((l: string) => JSON.parse(l)));
      done();
    },
  }));
  const argv = ['--listeners', JSON.stringify([{ name: 'api', host: '127.0.0.1', port: 0, plugins: ['secrets'] }]), '--config', files.config,
    '--secrets-database', `sqlite:${join(dir, 'secrets.db')}`, '--secrets-keys', join(dir, 'keys.json'), '--secrets-sweep-interval-sec', '0'];
  // what launch() does on SIGHUP: load again as at start
  const load = () => loadConfig({ argv, env: {}, modules: [secretsModule] });
  const running = await gatewayWithAdmin(t, load(), { log });
  const url = running.urls.api!;
  const put = await signedFetch(`${url}/api/secrets/v1/secret/${encodeURIComponent(SECRET)}`, {
    method: 'PUT', body: JSON.stringify({ secret: { v: 1 }, expires: new Date(Date.now() + 3_600_000).toISOString() }), credentials: clients.root,
  });
  t.equal(put.status, 200, 'the secret the flipper reads is set');
  const read = async () => (await signedFetch(`${url}/api/secrets/v1/secret/${encodeURIComponent(SECRET)}`, { credentials: flipper })).status;
  /** GET /config on the admin listener: the configuration in force. */
  const inForce = async () => {
    const res = await fetch(`${running.adminUrl}/config`);
    t.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    return res.text();
  };
  return { ...running, files, writeConfig, lines, load, reload: () => running.gateway.reconfigure(load), read, inForce };
}

t.test('changed settings are the differing leaves, lists compared whole', async (t) => {
  t.same(changedSettings({ a: 1, s: { b: [1, 2], c: 'x' }, d: 1 }, { a: 1, s: { b: [1, 3], c: 'x' }, e: 2 }), ['s.b', 'd', 'e']);
});

t.test('500 requests across 20 reloads, good and bad: each answered as the configuration in force says', async (t) => {
  const gw = await reloadingGateway(t);
  // in force: state k (granted or not) from the start of the reload that applied it to the end of the next applied one
  const states: Array<{ granted: boolean; from: number; until: number }> = [{ granted: true, from: -Infinity, until: Infinity }];
  const requests: Array<Promise<{ start: number; end: number; status: number }>> = [];
  const outcomes: string[] = [];
  const bad = [
    () => writeFileSync(gw.files.clients, '{"clients": [ not json'),
    () => writeFileSync(gw.files.clients, clientsText(true, [{ roleId: 'loop-a', scopes: ['assume:loop-b'] }, { roleId: 'loop-b', scopes: ['assume:loop-a'] }])),
    () => gw.writeConfig(['logLevel: loud']),
  ];
  let granted = true;
  for (let i = 0; i < 20; i++) {
    const wave = Array.from({ length: 25 }, async () => {
      const start = performance.now();
      const status = await gw.read();
      return { start, end: performance.now(), status };
    });
    requests.push(...wave);
    // about half the wave answered before the reload, the rest in flight across it
    await Promise.all(wave.slice(0, 12));
    const isBad = i % 3 === 2;
    if (isBad) bad[(i / 3) % bad.length | 0]!();
    else {
      granted = !granted;
      gw.writeConfig(['logLevel: info']);
      writeFileSync(gw.files.clients, clientsText(granted));
    }
    const from = performance.now();
    const outcome = await gw.reload();
    const until = performance.now();
    outcomes.push(outcome.result);
    t.equal(outcome.result, isBad ? 'refused' : 'applied', `reload ${i}`);
    if (outcome.result === 'applied') {
      states.at(-1)!.until = until;
      states.push({ granted, from, until: Infinity });
    }
  }
  const answered = await Promise.all(requests);
  t.equal(answered.length, 500);
  let determinate = { 200: 0, 403: 0 };
  for (const [i, { start, end, status }] of answered.entries()) {
    const inForce = states.filter((s) => s.from <= end && s.until >= start);
    const allowed = new Set<number>(inForce.map((s) => (s.granted ? 200 : 403)));
    if (!allowed.has(status)) t.fail(`request ${i} answered ${status}; the configurations in force while it ran answer ${[...allowed].join(' or ')}`);
    if (allowed.size === 1) determinate = { ...determinate, [status]: determinate[status as 200 | 403] + 1 };
  }
  t.ok(determinate[200] >= 20 && determinate[403] >= 20, `requests wholly within one configuration, both ways (${JSON.stringify(determinate)})`);
  // after the last reload: the state the last applied reload left, whatever bad ones came after
  t.equal(await gw.read(), states.at(-1)!.granted ? 200 : 403, 'the last applied configuration serves');
  const samples = await gw.scrape();
  t.same(samplesOf(samples, 'gateway_config_reloads_total'), {
    'gateway_config_reloads_total{result="applied"}': outcomes.filter((o) => o === 'applied').length,
    'gateway_config_reloads_total{result="refused"}': outcomes.filter((o) => o === 'refused').length,
  });
});

t.test('a bad configuration changes nothing, in one error line naming the file and the setting', async (t) => {
  const gw = await reloadingGateway(t);
  t.equal(await gw.read(), 200);
  // the clients file revokes the flipper's scope, but the config file is bad: neither applies
  writeFileSync(gw.files.clients, clientsText(false));
  gw.writeConfig(['logLevel: loud']);
  const before = gw.lines.length;
  t.match(await gw.reload(), { result: 'refused', generation: 0 });
  const errors = gw.lines.slice(before).filter((l) => l.level >= 50);
  t.equal(errors.length, 1, 'one error line');
  t.match(errors[0]!.msg, /^configuration not reloaded, the previous one keeps serving: logLevel in config file .*gateway\.yml: must be one of .*, got "loud"$/);
  t.equal(await gw.read(), 200, 'the old clients still in force');

  gw.writeConfig(['logLevel: info']);
  writeFileSync(gw.files.clients, clientsText(false, [{ roleId: 'loop-a', scopes: ['assume:loop-b'] }, { roleId: 'loop-b', scopes: ['assume:loop-a'] }]));
  const mark = gw.lines.length;
  t.match(await gw.reload(), { result: 'refused' });
  const cycle = gw.lines.slice(mark).filter((l) => l.level >= 50);
  t.equal(cycle.length, 1);
  t.match(cycle[0]!.msg, `setting secrets.authClients (--auth-clients / GATEWAY_AUTH_CLIENTS): auth clients file ${gw.files.clients}: role cycle`);
  t.equal(await gw.read(), 200, 'still the old clients');

  writeFileSync(gw.files.config, 'secrets: [unclosed\n');
  t.match(await gw.reload(), { result: 'refused', error: new RegExp(`^config file ${gw.files.config}: `) });

  // a keys file that does not load stops the whole reload, the clients file's change too
  gw.writeConfig(['logLevel: info']);
  writeFileSync(gw.files.clients, clientsText(false));
  const keysText = readFileSync(gw.files.keys, 'utf8');
  writeFileSync(gw.files.keys, 'not json{');
  const keysMark = gw.lines.length;
  t.match(await gw.reload(), { result: 'refused', error: `secrets keys file ${gw.files.keys} is not valid JSON` });
  t.notMatch(JSON.stringify(gw.lines.slice(keysMark)), /not json\{/, 'the file\'s text is not logged');
  t.equal(await gw.read(), 200, 'the old clients still in force');
  writeFileSync(gw.files.keys, keysText);

  t.match(await gw.reload(), { result: 'applied', generation: 1, needsRestart: [] });
  t.equal(await gw.read(), 403, 'the good configuration applies');
});

t.test('settings that cannot change live are named in one needs-restart line; the rest applies', async (t) => {
  const gw = await reloadingGateway(t);
  writeFileSync(gw.files.clients, clientsText(false));
  gw.writeConfig(['logLevel: warn', 'shutdownTimeoutMs: 5'], ['  cacheEntries: 7']);
  const before = gw.lines.length;
  t.match(await gw.reload(), { result: 'applied', needsRestart: ['shutdownTimeoutMs', 'secrets.cacheEntries'] });
  // logLevel warn: the reload's own info line is no longer written, the warning is
  const written = gw.lines.slice(before);
  t.same(written.map((l) => l.msg), ['configuration reloaded; needs restart to apply: shutdownTimeoutMs, secrets.cacheEntries']);
  t.same(written[0]!.settings, ['shutdownTimeoutMs', 'secrets.cacheEntries']);
  t.equal(await gw.read(), 403, 'the clients file applied');
  t.equal(gw.gateway.listeners[0]!.app.log.level, 'warn', 'the listener logs at the new level');
});

t.test('the proxy\'s allowed hosts change with a reload', async (t) => {
  const config = join(t.testdir(), 'gateway.yml');
  writeFileSync(config, 'proxy:\n  allowedHosts: [other.invalid]\n');
  const argv = ['--listeners', JSON.stringify([{ name: 'api', host: '127.0.0.1', port: 0, plugins: ['proxy'] }]), '--config', config, '--proxy-retry-max-elapsed-ms', '0'];
  const env = { TASKCLUSTER_ROOT_URL: 'http://127.0.0.1:9', TASKCLUSTER_CLIENT_ID: 'worker', TASKCLUSTER_ACCESS_TOKEN: 'w'.repeat(44) };
  const { proxyModule } = await import('../src/plugins/proxy/capability.js');
  const load = () => loadConfig({ argv, env, modules: [proxyModule] });
  const { gateway, urls } = await gatewayWithAdmin(t, load());
  const status = async () => (await fetch(`${urls.api}/target.invalid/x`)).status;
  t.equal(await status(), 403, 'target.invalid is not allowed');
  writeFileSync(config, 'proxy:\n  allowedHosts: [other.invalid, "*.invalid"]\n');
  t.match(await gateway.reconfigure(load), { result: 'applied', needsRestart: [] });
  t.not(await status(), 403, 'now it is: the request goes out (and finds no such host)');

  // the setting lost from the file: an empty list would allow every host, so the reload is refused
  writeFileSync(config, 'proxy:\n  allowedHosts: [other.invalid]\n');
  t.match(await gateway.reconfigure(load), { result: 'applied' });
  writeFileSync(config, 'logLevel: info\n');
  t.match(await gateway.reconfigure(load), { result: 'refused', error: /proxy\.allowedHosts .*a reload cannot lift the restriction/ });
  t.equal(await status(), 403, 'still restricted');
});

t.test('a value a start refuses, which its format accepts, is refused whole, with the start\'s message', async (t) => {
  const gw = await reloadingGateway(t);
  /** What a start of the configuration now in the files says. */
  const startRefusal = async () => {
    const gateway = await buildGateway(gw.load(), { log: createLogger('silent') }).catch((err: Error) => err);
    if (!(gateway instanceof Error)) await gateway.close();
    return gateway as Error;
  };
  // each accepted by its convict format, and restart-only: format-only checking would apply the reload
  const refused: Array<[string, string[], string[]]> = [
    ['a database timeout of 0', ['logLevel: info'], ['  databaseTimeoutMs: 0']],
    ['a container network without an allowed user', ['allowedNetwork: 172.17.0.0/16'], []],
    ['a Redis URL that is not one', ['redis:', '  url: http://cache.example'], []],
  ];
  for (const [what, lines, secrets] of refused) {
    writeFileSync(gw.files.clients, clientsText(false));
    gw.writeConfig(lines, secrets);
    const start = await startRefusal();
    t.equal(start.name, 'ConfigError', `${what}: a start refuses it`);
    const mark = gw.lines.length;
    const outcome = await gw.reload();
    t.match(outcome, { result: 'refused', generation: 0, error: `${start.message} (config files: ${gw.load().files.join(', ')})` }, `${what}: so does a reload, with the same message`);
    const errors = gw.lines.slice(mark).filter((l) => l.level >= 40);
    t.same(errors.map((l) => l.msg), [`configuration not reloaded, the previous one keeps serving: ${outcome.error}`], 'one error line, no needs-restart line');
    t.equal(await gw.read(), 200, `${what}: the clients file's change in the same reload is not applied`);
  }
  t.notMatch(JSON.stringify(gw.lines), /cache\.example/, 'the URL, which may hold a password, is never logged');
  gw.writeConfig(['logLevel: info']);
  t.match(await gw.reload(), { result: 'applied', needsRestart: [] });
  t.equal(await gw.read(), 403);
});

t.test('the admin listener serves the configuration in force, printed as --print-config prints one', async (t) => {
  const gw = await reloadingGateway(t);
  const started = await gw.inForce();
  t.equal(started, printableConfig(gw.load().config), 'at start: the configuration the files, environment and flags give');
  t.equal(JSON.parse(started).secrets.database, '[Sensitive]', 'sensitive values masked');
  t.equal(JSON.parse(started).taskcluster.accessToken, '[Sensitive]');

  // a live change and a restart-only one
  gw.writeConfig(['logLevel: warn'], ['  cacheEntries: 7']);
  t.match(await gw.reload(), { result: 'applied', needsRestart: ['secrets.cacheEntries'] });
  const applied = JSON.parse(await gw.inForce());
  t.equal(applied.logLevel, 'warn', 'the live change is in force');
  t.equal(applied.secrets.cacheEntries, JSON.parse(started).secrets.cacheEntries, 'the restart-only one is not');
  t.equal(JSON.parse(printableConfig(gw.load().config)).secrets.cacheEntries, 7, 'what --print-config prints: the files as they are now');
  t.same({ ...applied, logLevel: 'info' }, JSON.parse(started), 'nothing else differs');

  const before = await gw.inForce();
  gw.writeConfig(['logLevel: debug'], ['  keysHeartbeatSec: 0']);
  t.match(await gw.reload(), { result: 'refused' });
  t.equal(await gw.inForce(), before, 'after a refused reload: the configuration in force before it');
  gw.writeConfig(['logLevel: loud']);
  t.match(await gw.reload(), { result: 'refused' });
  t.equal(await gw.inForce(), before);
});

t.test('the configuration in force masks the credentials of every URL in it, as --print-config does', async (t) => {
  // a start accepts a URL with userinfo in any URL setting (the services are reached with it);
  // test/cli/gateway.test.ts checks the lists (RelengAPI routes, allowed hosts) in --print-config
  const gw = await reloadingGateway(t, ['logLevel: info', 'taskcluster:', '  rootUrl: https://ops:root-url-password@tc.example']);
  for (const [what, printed] of [['/config', await gw.inForce()], ['--print-config', printableConfig(gw.load().config)]] as const) {
    t.notMatch(printed, /password/, `${what}: no URL's password`);
    t.equal(JSON.parse(printed).taskcluster.rootUrl, 'https://[Sensitive]@tc.example', `${what}: the URL masked as a sensitive setting is`);
  }
});

t.test('a reload changes whose X-Forwarded-Host/-Proto name what a Hawk signature covers and the references\' rootUrl', async (t) => {
  const gw = await reloadingGateway(t);
  // signed for the address the client knows, which a front proxy at 127.0.0.1 forwards
  const path = `/api/secrets/v1/secret/${encodeURIComponent(SECRET)}`;
  const viaProxy = async () => (await fetch(`${gw.urls.api}${path}`, {
    headers: { authorization: signedHeader(`https://secrets.example.org${path}`, 'GET', undefined, undefined, flipper), 'x-forwarded-host': 'secrets.example.org', 'x-forwarded-proto': 'https' },
  })).status;
  /** The rootUrl the references give, asked through the front proxy. */
  const referencesRoot = async () => {
    const res = await fetch(`${gw.urls.api}/references/manifest.json`, { headers: { 'x-forwarded-host': 'secrets.example.org', 'x-forwarded-proto': 'https' } });
    return new URL(((await res.json()) as { references: string[] }).references[0]!).origin;
  };
  t.equal(await viaProxy(), 401, 'the peer is no trusted proxy: the signature is checked against the Host header');
  t.equal(await referencesRoot(), new URL(gw.urls.api!).origin, 'and the references name the listener as addressed');
  gw.writeConfig(['trustedProxies: [127.0.0.1]']);
  t.match(await gw.reload(), { result: 'applied', needsRestart: [] });
  t.equal(await viaProxy(), 200, 'it is now: against the host and scheme it forwards');
  t.equal(await referencesRoot(), 'https://secrets.example.org', 'the references too');
  gw.writeConfig(['trustedProxies: [127.0.0.0/33]']);
  t.match(await gw.reload(), { result: 'refused', error: /^setting trustedProxies .*"127\.0\.0\.0\/33" is not an IP address or CIDR/ });
  t.equal(await viaProxy(), 200, 'a bad list changes nothing');
  gw.writeConfig(['trustedProxies: []']);
  t.match(await gw.reload(), { result: 'applied' });
  t.equal(await viaProxy(), 401);
});
