import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewaySchema, loadConfig, schemaFlags } from '../../src/config/load.js';
import { pluginModules } from '../../src/plugins/registry.js';

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
  t.throws(() => loadConfig({ env: { PORT: 'eighty' } }), { name: 'ConfigError', message: /^port: / });
  t.throws(() => loadConfig({ argv: ['--log-level', 'loud'] }), { name: 'ConfigError', message: /^logLevel: / });
  t.throws(() => loadConfig({ argv: ['--listeners', '[{"name":"x"}]'] }), { name: 'ConfigError', message: /^listeners: / });
  t.throws(() => loadConfig({ argv: ['--config', '/nonexistent.yml'] }), { name: 'ConfigError', message: /nonexistent\.yml/ });
  const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ notASetting: 1 }));
  t.throws(() => loadConfig({ argv: ['--config', join(dir, 'bad.json')] }), { name: 'ConfigError', message: /notASetting/ });
});

t.test('sensitive values never appear in a config dump', async (t) => {
  const dump = loadConfig({ env: { TASKCLUSTER_ACCESS_TOKEN: 'very-secret-token', TASKCLUSTER_CERTIFICATE: '{"signature":"sig-secret"}' } }).config.toString();
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
