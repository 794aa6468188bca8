import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewaySchema, loadConfig, schemaFlags } from '../../src/config/load.js';
import { pluginModules } from '../../src/plugins/registry.js';
import { WELL_FORMED_CERTIFICATE } from '../helpers/certificate.js';

t.test('the seeds\' environment names work as they are', async (t) => {
  const { core } = loadConfig({
    env: { TASKCLUSTER_ROOT_URL: 'https://tc.example.com', TASKCLUSTER_CLIENT_ID: 'c', TASKCLUSTER_ACCESS_TOKEN: 'tok', PORT: '9000', FORCE_SSL: 'true', GATEWAY_PLUGINS: 'a,b' },
  });
  t.equal(core.taskcluster.rootUrl, 'https://tc.example.com');
  t.equal(core.taskcluster.clientId, 'c');
  t.equal(core.port, 9000);
  t.equal(core.forceSsl, true);
  t.same(core.plugins, ['a', 'b']);
});

t.test('flags beat the environment, overrides beat flags; both flag forms', async (t) => {
  const { core } = loadConfig({ env: { PORT: '9000' }, argv: ['--port', '9001', '--root-url=https://x.example'], overrides: { 'taskcluster.clientId': 'preset' } });
  t.equal(core.port, 9001);
  t.equal(core.taskcluster.rootUrl, 'https://x.example');
  t.equal(core.taskcluster.clientId, 'preset');
});

t.test('config files: defaults, then the DEPLOY_ENV section; env beats files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
  const file = join(dir, 'site.yml');
  writeFileSync(file, 'defaults:\n  port: 7000\n  logLevel: warn\nproduction:\n  port: 7001\n');
  t.equal(loadConfig({ env: { GATEWAY_CONFIG: file } }).core.port, 7000);
  const prod = loadConfig({ env: { GATEWAY_CONFIG: file, DEPLOY_ENV: 'production' } }).core;
  t.equal(prod.port, 7001);
  t.equal(prod.logLevel, 'warn');
  t.equal(loadConfig({ env: { GATEWAY_CONFIG: file, PORT: '7002' } }).core.port, 7002);
  const json = join(dir, 'plain.json');
  writeFileSync(json, JSON.stringify({ adminPort: 9999 }));
  t.equal(loadConfig({ argv: ['--config', json] }).core.adminPort, 9999, 'an unsectioned JSON file applies as is');
});

t.test('wrong input fails with one line naming the setting', async (t) => {
  t.throws(() => loadConfig({ argv: ['--no-such-flag', 'x'] }), { name: 'ConfigError', message: 'unknown flag --no-such-flag (see --help)' });
  t.throws(() => loadConfig({ env: { PORT: 'eighty' } }), { name: 'ConfigError', message: 'PORT (setting port): ports must be within range 0 - 65535, got "eighty"' });
  t.throws(() => loadConfig({ argv: ['--log-level', 'loud'] }), { name: 'ConfigError', message: /^--log-level \(setting logLevel\): must be one of .*, got "loud"$/ });
  t.throws(() => loadConfig({ argv: ['--listeners', '[{"name":"x"}]'] }), { name: 'ConfigError', message: /^--listeners \(setting listeners\): / });
  t.throws(() => loadConfig({ argv: ['--config', '/nonexistent.yml'] }), { name: 'ConfigError', message: /nonexistent\.yml/ });
  const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ notASetting: 1 }));
  t.throws(() => loadConfig({ argv: ['--config', join(dir, 'bad.json')] }), { name: 'ConfigError', message: `notASetting in config file ${join(dir, 'bad.json')}: no such setting (see --help)` });
});

t.test('a refused value is named by its source: the variable, the flag, the file or the command line, whichever is in force', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
  const file = join(dir, 'site.yml');
  writeFileSync(file, 'adminPort: 70000\nlogLevel: loud\n');
  const load = (options: Parameters<typeof loadConfig>[0]) => () => loadConfig({ ...options });
  t.throws(load({ env: { GATEWAY_CONFIG: file, GATEWAY_LOG_LEVEL: 'info' } }), { message: `adminPort in config file ${file}: ports must be within range 0 - 65535, got 70000` }, 'a file');
  t.throws(load({ env: { GATEWAY_CONFIG: file, GATEWAY_ADMIN_PORT: 'x' } }), { message: 'GATEWAY_ADMIN_PORT (setting adminPort): ports must be within range 0 - 65535, got "x"' }, 'the environment above the file');
  t.throws(load({ env: { GATEWAY_ADMIN_PORT: '1' }, argv: ['--admin-port=-1'] }), { message: '--admin-port (setting adminPort): ports must be within range 0 - 65535, got "-1"' }, 'a flag above the environment');
  t.throws(load({ env: { GATEWAY_ADMIN_PORT: 'x' }, overrides: { adminPort: -2 } }), { message: 'adminPort (command line): ports must be within range 0 - 65535, got -2' }, 'the command line above all');
  t.throws(load({ env: { GATEWAY_LISTENERS: '[not json' } }), { message: 'GATEWAY_LISTENERS (setting listeners): must be a JSON list of {name, host, port, plugins}, got "[not json"' }, 'a JSON setting that is not JSON: named, not JSON.parse\'s bare message');
  t.throws(load({ env: { GATEWAY_AUTHORIZED_SCOPES: '{' } }), { message: 'GATEWAY_AUTHORIZED_SCOPES (setting taskcluster.authorizedScopes): must be null or a JSON array of valid scopes, got "{"' });
});

t.test('a refused value is never quoted when its setting is sensitive, and a URL in one without its credentials', async (t) => {
  const secret = '{"version":1,"signature":"SIG-NOT-SHOWN"';
  t.throws(() => loadConfig({ env: { TASKCLUSTER_CERTIFICATE: secret } }), {
    message: 'TASKCLUSTER_CERTIFICATE (setting taskcluster.certificate): must be empty (permanent credentials) or a certificate as JSON, got something else (not shown: sensitive)',
  });
  const listeners = JSON.stringify([{ name: 'https://ops:PW-NOT-SHOWN@x.example/?token=TOKEN-NOT-SHOWN' }]);
  const err = t.throws(() => loadConfig({ env: { GATEWAY_LISTENERS: listeners } })) as Error;
  t.match(err.message, /^GATEWAY_LISTENERS \(setting listeners\): listener .*\[REDACTED\]@x\.example.*token=\[REDACTED\]/);
  t.notMatch(err.message, /NOT-SHOWN/);
});

t.test('sensitive values never appear in a config dump', async (t) => {
  const dump = loadConfig({ env: { TASKCLUSTER_ACCESS_TOKEN: 'very-secret-token', TASKCLUSTER_CERTIFICATE: WELL_FORMED_CERTIFICATE } }).config.toString();
  t.notMatch(dump, /very-secret-token/);
  t.notMatch(dump, /sig-secret/);
});

t.test('every flag is unique and names a documented setting', async (t) => {
  const flags = schemaFlags(gatewaySchema(pluginModules));
  t.ok(flags.size >= 15);
  for (const [flag, { spec }] of flags) t.ok(typeof spec.doc === 'string' && spec.doc.length > 5, `--${flag} documented`);
});

t.test('a preset\'s own config file: the host-secrets profiles of the original', async (t) => {
  const { hostSecretsModule } = await import('../../src/plugins/host-secrets/capability.js');
  const load = (DEPLOY_ENV: string) => loadConfig({ env: { DEPLOY_ENV }, configName: 'host-secrets', modules: [hostSecretsModule] });
  const production = load('production');
  t.equal(production.core.forceSsl, true);
  t.equal(production.core.trustProxy, true);
  t.same(load('development').config.get('hostSecrets.allowedIps'), ['0.0.0.0/0', '::/0']);
  t.equal(load('').core.forceSsl, false, 'no profile, no change');
});
