import t from 'tap';
import { RoleSet, assumedParameter, substituteParameter } from '../../src/core/index.js';

t.test('expansion to a fixed point', async (t) => {
  const roles = new RoleSet([
    { roleId: 'a', scopes: ['assume:b', 'scope-a'] },
    { roleId: 'b', scopes: ['assume:c', 'scope-b'] },
    { roleId: 'c', scopes: ['scope-c'] },
  ]);
  t.same(roles.expand(['assume:a']).sort(), ['assume:a', 'assume:b', 'assume:c', 'scope-a', 'scope-b', 'scope-c']);
  t.same(roles.expand(['other']), ['other'], 'no role, no change');
});

t.test('parameterized roles', async (t) => {
  const roles = new RoleSet([
    { roleId: 'repo:github.com/*', scopes: ['secrets:get:repo/<..>/ci', 'queue:route:<..>'] },
    { roleId: 'project:x:*', scopes: ['secrets:get:x/<..>'] },
  ]);
  const expanded = roles.expand(['assume:repo:github.com/org/app']);
  t.ok(expanded.includes('secrets:get:repo/org/app/ci'), 'parameter substituted in the middle');
  t.ok(expanded.includes('queue:route:org/app'));
  t.ok(roles.expand(['assume:project:x:*']).includes('secrets:get:x/*'), 'a star parameter ends the scope');
  t.ok(roles.expand(['assume:proj*']).includes('secrets:get:x/*'), 'assume:proj* reaches project:x:* with any parameter');
  t.ok(roles.expand(['*']).includes('*'), 'star holds everything already');
  t.equal(assumedParameter('assume:abc', 'ab*'), 'c');
  t.equal(assumedParameter('assume:ab', 'abc'), undefined);
  t.equal(assumedParameter('assume:a*', 'abc'), '');
  t.equal(substituteParameter('x:<..>:y', 'p'), 'x:p:y');
  t.equal(substituteParameter('x:<..>:y', 'p*'), 'x:p*');
});

t.test('cycles are refused at load, naming the cycle', async (t) => {
  t.throws(() => new RoleSet([
    { roleId: 'a', scopes: ['assume:b'] },
    { roleId: 'b', scopes: ['assume:a'] },
  ]), { message: /role cycle: a -> b -> a/ });
  t.throws(() => new RoleSet([{ roleId: 'self', scopes: ['assume:self'] }]), { message: /self -> self/ });
  t.doesNotThrow(() => new RoleSet([{ roleId: 'a', scopes: ['assume:b'] }, { roleId: 'b', scopes: [] }]));
});

t.test('expansion is bounded even for growing parameterized roles', async (t) => {
  const roles = new RoleSet([{ roleId: 'grow*', scopes: ['assume:grow<..>x'] }]);
  const expanded = roles.expand(['assume:grow']);
  t.ok(expanded.length > 10 && expanded.length <= 200, `stopped after ${expanded.length} scopes`);
});
