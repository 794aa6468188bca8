import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError } from '../../src/config/settings.js';
import { resolveCredentials } from '../../src/core/auth.js';
import { loadAuthClients, parseAuthClients } from '../../src/core/local-auth.js';

const token = 'T'.repeat(44);

t.test('JSON and YAML files load into a directory with roles expanded', async (t) => {
  const dir = t.testdir({
    'clients.json': JSON.stringify({
      clients: [{ clientId: 'worker/1', accessToken: token, scopes: ['assume:project:alpha', 'assume:worker-type:linux'] }],
      roles: [
        { roleId: 'project:alpha', scopes: ['secrets:get:alpha/*'] },
        { roleId: 'worker-type:*', scopes: ['queue:claim-work:<..>', 'secrets:get:workers/<..>/*'] },
        { roleId: 'anonymous', scopes: ['secrets:get:public/*'] },
      ],
    }),
    'clients.yml': ['clients:', '  - clientId: yaml-client', `    accessToken: ${token}`, '    scopes: ["secrets:list-secrets"]', '    expires: 2000-01-01T00:00:00Z', 'roles: []', ''].join('\n'),
  });
  const directory = loadAuthClients(join(dir, 'clients.json'));
  const record = await directory.client('worker/1');
  t.same([...record!.scopes].sort(), ['assume:project:alpha', 'assume:worker-type:linux', 'queue:claim-work:linux', 'secrets:get:alpha/*', 'secrets:get:workers/linux/*'].sort(), 'parameterized role substitutes <..>');
  const resolved = await resolveCredentials(directory, 'worker/1', undefined);
  t.ok(resolved.scopes.includes('secrets:get:public/*'), 'the anonymous role joins every caller');
  t.equal(resolved.key, token);
  const yaml = loadAuthClients(join(dir, 'clients.yml'));
  await t.rejects(resolveCredentials(yaml, 'yaml-client', undefined), { code: 'AuthenticationFailed', message: /has expired/ }, 'expires honoured');
  t.equal(await directory.client('nobody'), undefined);
});

t.test('bad files are ConfigErrors naming the file and the problem, never the token', async (t) => {
  const client = (extra: Record<string, unknown> = {}) => ({ clientId: 'c', accessToken: token, scopes: [], ...extra });
  const cases: Array<[string, string, RegExp]> = [
    ['not yaml', '{clients: [', /not valid JSON or YAML/],
    ['not an object', '[1, 2]', /expected \{"clients"/],
    ['clients not a list', '{"clients": {}}', /"clients" must be a list/],
    ['bad clientId', JSON.stringify({ clients: [client({ clientId: 'has space' })] }), /clients\[0\] needs a clientId/],
    ['short token', JSON.stringify({ clients: [client({ accessToken: 'short' })] }), /client c needs an accessToken of at least 22/],
    ['bad scopes', JSON.stringify({ clients: [client({ scopes: 'x' })] }), /client c needs "scopes"/],
    ['bad expires', JSON.stringify({ clients: [client({ expires: 'soon' })] }), /invalid "expires"/],
    // new Date() rolled these over to 2030-03-02 and 2030-05-01: a client expiring days later than written
    ['expires on a day that does not exist', JSON.stringify({ clients: [client({ expires: '2030-02-30T00:00:00Z' })] }), /invalid "expires"/],
    ['expires on the 31st of a 30-day month', JSON.stringify({ clients: [client({ expires: '2030-04-31T00:00:00Z' })] }), /invalid "expires"/],
    ['duplicate', JSON.stringify({ clients: [client(), client()] }), /clientId c appears twice/],
    ['bad role', JSON.stringify({ roles: [{ roleId: 'r', scopes: [1] }] }), /role r needs "scopes"/],
    ['cycle', JSON.stringify({ roles: [{ roleId: 'a', scopes: ['assume:b'] }, { roleId: 'b', scopes: ['assume:c'] }, { roleId: 'c', scopes: ['assume:a'] }] }), /role cycle: a -> b -> c -> a/],
  ];
  for (const [name, text, message] of cases) {
    t.throws(() => parseAuthClients(text, 'clients.json'), message, name);
    try {
      parseAuthClients(text, 'clients.json');
    } catch (err) {
      t.type(err, ConfigError, `${name}: a ConfigError`);
      t.match((err as Error).message, /^auth clients file clients\.json: /);
      t.notMatch((err as Error).message, token, `${name}: no token in the message`);
    }
  }
  const dir = t.testdir({});
  t.throws(() => loadAuthClients(join(dir, 'missing.json')), /missing\.json: cannot be read \(ENOENT\)/);
  writeFileSync(join(dir, 'empty.json'), '');
  t.throws(() => loadAuthClients(join(dir, 'empty.json')), /empty\.json: not valid JSON or YAML/);
});
