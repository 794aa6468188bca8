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

t.test('renewal mints temporary credentials from permanent ones before expiry', async (t) => {
  const holder = new CredentialHolder(permanent);
  // the renewal timer is unref'd (it must not keep a gateway alive); keep this test alive instead
  const keepAlive = setInterval(() => {}, 100);
  t.teardown(() => {
    holder.stopRenewal();
    clearInterval(keepAlive);
  });
  const first = holder.startRenewal(permanent, { scopes: ['queue:y'], lifetimeMs: 1500, renewBeforeMs: 500 });
  t.ok(first.certificate, 'signing with temporary credentials');
  t.equal(first.certificate!.expiry - first.certificate!.start, 1500);
  const renewed = await new Promise((resolve) => holder.once('swap', resolve));
  t.not(renewed, first, 'renewed before the first expired');
  t.ok(holder.current.certificate!.expiry > first.certificate!.expiry);
});
