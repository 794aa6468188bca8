import t from 'tap';
import { CredentialHolder, createTemporaryCredentials } from '../../src/core/index.js';

const permanent = { clientId: 'c1', accessToken: 'a'.repeat(44) };

t.test('swap replaces one immutable snapshot and keeps the restriction', async (t) => {
  const holder = new CredentialHolder(permanent, { authorizedScopes: ['queue:x'] });
  const before = holder.current;
  t.ok(Object.isFrozen(before) && Object.isFrozen(before.credentials), 'snapshots are frozen');
  const swapped: string[] = [];
  holder.on('swap', (identity) => swapped.push(identity.credentials.clientId));
  const temp = createTemporaryCredentials({ start: new Date(), expiry: new Date(Date.now() + 60_000), scopes: ['queue:x'], credentials: permanent });
  holder.swap(temp);
  t.equal(before.credentials.clientId, 'c1', 'the old snapshot is untouched');
  t.equal(holder.current.credentials.accessToken, temp.accessToken);
  t.same(holder.current.certificate?.scopes, ['queue:x']);
  t.same(holder.current.authorizedScopes, ['queue:x']);
  t.same(swapped, ['c1']);
});

t.test('bad credentials are refused and the old ones kept', async (t) => {
  const holder = new CredentialHolder(permanent);
  const cases: unknown[] = [
    {},
    { clientId: 'x' },
    { clientId: 'x', accessToken: '' },
    { clientId: 'x', accessToken: 'y', certificate: '{not json' },
    { clientId: 'x', accessToken: 'y', certificate: JSON.stringify({ version: 2 }) },
    { clientId: 'x', accessToken: 'y', certificate: 7 },
  ];
  for (const bad of cases) {
    t.throws(() => holder.swap(bad as never), { code: 'InputError' }, JSON.stringify(bad));
  }
  t.equal(holder.current.credentials.clientId, 'c1');
  holder.swap({ clientId: 'x', accessToken: 'y', certificate: '' });
  t.equal(holder.current.certificate, undefined, 'an empty certificate means permanent credentials');
});
