import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError } from '../../src/config/settings.js';
import { resolveCredentials } from '../../src/core/auth.js';
import { loadAuthClients, localDirectory, parseAuthClients } from '../../src/core/local-auth.js';
import { RoleSet } from '../../src/core/roles.js';

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

t.test('expansions are remembered within ~16 M characters, an empty set too, and one past the budget is not', async (t) => {
  const directory = localDirectory([], new RoleSet([{ roleId: 'r', scopes: ['queue:x'] }]));
  const expand = (scopes: string[], remember?: boolean) => directory.expand(scopes, remember);
  t.not(expand(['assume:r'], false), expand(['assume:r'], false), 'not remembered when asked not to');
  t.equal(expand(['assume:r']), expand(['assume:r']), 'remembered: the same list');
  t.equal(expand([]), expand([]), 'an empty set is remembered too (lru-cache throws on a size of 0)');

  // a scope of just under 512 Ki characters, kept as the key and in the list: 16 Mi characters hold 16
  const sets = Array.from({ length: 20 }, (_, i) => [`queue:${i}:${'q'.repeat(512 * 1024 - 64)}`]);
  const first = sets.map((set) => expand(set));
  // looked up without remembering, so the lookups evict nothing
  const remembered = () => sets.flatMap((set, i) => (expand(set, false) === first[i] ? [i] : []));
  t.same(remembered(), Array.from({ length: 16 }, (_, i) => 4 + i), 'the 16 most recent are remembered, the older ones gone');

  const huge = [`queue:${'h'.repeat(9 * 1024 * 1024)}`];
  t.ok(expand(huge) !== expand(huge), 'a set past the whole budget is not remembered, and nothing throws');
  t.same(remembered(), Array.from({ length: 16 }, (_, i) => 4 + i), 'nor does it evict what was remembered');
});
