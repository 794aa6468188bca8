// Hawk both ways: what taskcluster-client signs, our verifier accepts; what we sign, a verifier
// following the auth service's rules (the fake Taskcluster) accepts; and the refusals.
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { createTemporaryCredentials, HawkSigner, NonceCache, verifyRequest, type NonceVerdict } from '../../src/core/index.js';
import { directoryOf } from '../helpers/directory.js';
import { startFakeTaskcluster } from '../helpers/fake-taskcluster.js';

const root = { clientId: 'project/root', accessToken: 'r'.repeat(44), scopes: ['secrets:*', 'auth:create-client:project/tmp*'] };
const hour = 60 * 60 * 1000;

t.test('requests signed by taskcluster-client verify in our verifier', async (t) => {
  const tc = await startFakeTaskcluster({ clients: [root] });
  t.teardown(() => tc.close());
  const named = taskcluster.createTemporaryCredentials({
    clientId: 'project/tmp/one', expiry: new Date(Date.now() + hour), scopes: ['secrets:get:a'], credentials: root,
  });
  const cases = [
    { name: 'permanent', options: { credentials: root }, expect: 'project/root' },
    { name: 'named temporary', options: { credentials: named }, expect: 'project/tmp/one' },
    { name: 'authorizedScopes', options: { credentials: root, authorizedScopes: ['secrets:get:b'] }, expect: 'project/root' },
  ];
  for (const c of cases) {
    const secrets = new taskcluster.Secrets({ rootUrl: tc.rootUrl, retries: 0, ...c.options });
    const echo = await secrets.get('some/name');
    t.equal(echo.clientId, c.expect, `${c.name}: authenticated as ${c.expect}`);
    t.equal(echo.scheme, 'hawk');
  }
  const scoped = new taskcluster.Secrets({ rootUrl: tc.rootUrl, credentials: root, authorizedScopes: ['secrets:get:b'] });
  t.same((await scoped.get('x')).scopes.filter((s: string) => s !== 'assume:anonymous'), ['secrets:get:b'], 'authorizedScopes narrow the scopes');
  const signedUrl = new taskcluster.Secrets({ rootUrl: tc.rootUrl, credentials: named }).buildSignedUrl(scoped.get, 'a/b');
  const res = await fetch(signedUrl);
  t.equal(res.status, 200, 'taskcluster-client bewit accepted');
  t.equal(((await res.json()) as { scheme: string }).scheme, 'bewit');
});

t.test('requests we sign pass the auth service rules', async (t) => {
  const tc = await startFakeTaskcluster({ clients: [root] });
  t.teardown(() => tc.close());
  const temporary = createTemporaryCredentials({ start: new Date(), expiry: new Date(Date.now() + hour), scopes: ['secrets:get:x'], credentials: root });
  for (const [name, signer, expected] of [
    ['permanent', new HawkSigner(root), 'project/root'],
    ['temporary', new HawkSigner(temporary), 'project/root'],
    ['restricted', new HawkSigner(root, ['secrets:get:y']), 'project/root'],
  ] as const) {
    const url = `${tc.rootUrl}/api/secrets/v1/secret/a%2Fb?x=1`;
    const res = await fetch(url, { headers: { authorization: signer.headerForUrl('GET', url) } });
    t.equal(res.status, 200, `${name} header accepted`);
    t.equal(((await res.json()) as { clientId: string }).clientId, expected);
    const bewitRes = await fetch(signer.signedUrl(url, 60));
    t.equal(bewitRes.status, 200, `${name} bewit accepted`);
  }
  const res = await fetch(`${tc.rootUrl}/x`, { headers: { authorization: new HawkSigner({ clientId: root.clientId, accessToken: 'wrong' }).headerForUrl('GET', `${tc.rootUrl}/x`) } });
  t.equal(res.status, 401, 'wrong key refused');
  t.match(await res.json(), { code: 'AuthenticationFailed', message: /Bad mac/ });
});

t.test('verifier refusals', async (t) => {
  const directory = directoryOf(root, [{ roleId: 'anonymous', scopes: ['secrets:get:public/*'] }]);
  const signer = new HawkSigner(root);
  const target = { method: 'GET', host: 'gw.test', port: 443, resource: '/api/x' };
  const request = (authorization: string | undefined, resource = '/api/x') => ({ method: 'GET', resource, host: 'gw.test', port: 443, authorization });

  const anonymous = await verifyRequest(request(undefined), directory);
  t.equal(anonymous.clientId, 'anonymous');
  t.ok(anonymous.scopes.includes('secrets:get:public/*'), 'anonymous holds the anonymous role');

  const cache = new NonceCache();
  const header = signer.header(target);
  t.equal((await verifyRequest(request(header), directory, { nonceCache: cache })).clientId, root.clientId);
  await t.rejects(verifyRequest(request(header), directory, { nonceCache: cache }), { code: 'AuthenticationFailed', message: /nonce/ }, 'replay refused');

  const stale = signer.header(target, Date.now() - 16 * 60 * 1000);
  await t.rejects(verifyRequest(request(stale), directory), { code: 'AuthenticationFailed', message: /Stale timestamp/ }, '16 minutes of skew refused');
  const admitted: string[] = [];
  const counting = { admit: (clientId: string, nonce: string, ts: string, now?: number) => { admitted.push(nonce); return cache.admit(clientId, nonce, ts, now); } };
  await t.rejects(verifyRequest(request(stale), directory, { nonceCache: counting }), { message: /Stale timestamp/ }, 'stale with a nonce cache: refused as stale');
  t.same(admitted, [], 'a stale header takes no place in the nonce cache');
  const skewed = signer.header(target, Date.now() - 14 * 60 * 1000);
  t.equal((await verifyRequest(request(skewed), directory)).clientId, root.clientId, '14 minutes of skew accepted');

  await t.rejects(verifyRequest({ ...request(header), port: 8443 }, directory), { code: 'AuthenticationFailed' }, 'port is part of the MAC');
  const bewitUrl = new URL(signer.signedUrl('https://gw.test/api/x', 60));
  const resource = bewitUrl.pathname + bewitUrl.search;
  t.equal((await verifyRequest(request(undefined, resource), directory)).scheme, 'bewit');
  t.equal((await verifyRequest(request(undefined, resource), directory)).scheme, 'bewit', 'a bewit is reusable until it expires');
  await t.rejects(verifyRequest(request(header, resource), directory), { code: 'AuthenticationFailed', message: /both/ }, 'bewit plus header refused');
  await t.rejects(verifyRequest(request(undefined, resource.replace('/api/x', '/api/y')), directory), { code: 'AuthenticationFailed' }, 'bewit for another path refused');
  const expired = new URL(signer.signedUrl('https://gw.test/api/x', -1));
  await t.rejects(verifyRequest(request(undefined, expired.pathname + expired.search), directory), { code: 'AuthenticationFailed', message: /expired/i }, 'expired bewit refused');
  await t.rejects(verifyRequest(request('Hawk id="x"'), directory), { code: 'AuthenticationFailed' }, 'malformed header refused');
  await t.rejects(verifyRequest(request(undefined, '/api/x?bewit=!!!'), directory), { code: 'AuthenticationFailed' }, 'garbage bewit refused');
});

t.test('a header its nonce store calls orphaned is refused 503 with Retry-After, which clients retry; a replay 401, which they do not', async (t) => {
  const directory = directoryOf(root);
  const signer = new HawkSigner(root);
  const target = { method: 'GET', host: 'gw.test', port: 443, resource: '/api/x' };
  const request = () => ({ ...target, authorization: signer.header(target) });
  const says = (verdict: NonceVerdict) => ({ nonceCache: { admit: async () => verdict } });
  t.equal((await verifyRequest(request(), directory, says('admitted'))).clientId, root.clientId);
  await t.rejects(verifyRequest(request(), directory, says('replay')), { code: 'AuthenticationFailed', statusCode: 401, message: 'Invalid nonce', retryAfterSec: undefined });
  await t.rejects(verifyRequest(request(), directory, says('orphaned')), {
    code: 'ServiceUnavailable', statusCode: 503, retryAfterSec: 1,
    message: 'This request was taken by a gateway replica that stopped before answering; its Hawk signature is spent: sign the request again and retry',
  });
});

t.test('the nonce cache stays bounded and forgets expired nonces', async (t) => {
  const cache = new NonceCache(1000, 3);
  t.ok(cache.admitNow('k', 'n1', '1', 0));
  t.notOk(cache.admitNow('k', 'n1', '1', 10), 'replay within the window refused');
  t.ok(cache.admitNow('k', 'n1', '1', 2000), 'admitted again once expired');
  for (const n of ['a', 'b', 'c', 'd']) t.ok(cache.admitNow('k', n, '2', 2100));
  t.notOk(cache.admitNow('k', 'a', '2', 2200), 'a live entry forgotten past the bound is not replayable: its timestamp is now the floor');
  t.notOk(cache.admitNow('k', 'e', '2', 2200), 'nor is any header of that client stamped at or before it');
  t.ok(cache.admitNow('k', 'e', '3', 2200), 'later headers are admitted');
  t.notOk(cache.admitNow('k', 'e', '3', 2200), 'and are remembered');
});

t.test('flooding the nonce cache reopens no replay, and costs other clients nothing (issue 12.5)', async (t) => {
  const cache = new NonceCache(30 * 60 * 1000, 100);
  const now = 1_800_000_000_000;
  const ts = String(now / 1000);
  t.ok(cache.admitNow('victim', 'captured', ts, now), 'the victim signs once');
  let admitted = 0;
  for (let i = 0; i < 1000; i += 1) if (cache.admitNow('flooder', `n${i}`, String(now / 1000 + i), now + i)) admitted += 1;
  t.equal(admitted, 1000, 'the flooder signs 1000 fresh headers');
  t.notOk(cache.admitNow('victim', 'captured', ts, now + 2000), 'the captured header is still refused after a flood ten times the bound');
  t.ok(cache.admitNow('victim', 'fresh', String(now / 1000 + 2), now + 2000), "the victim's new headers are admitted");
  t.ok(cache.admitNow('third', 'x', ts, now + 2000), 'a client whose entries were never forgotten keeps its window');
  // found by attack (probe 6): the bound forgot the oldest entry whoever made it, the victim's
  // first among them, and raised the victim's floor to its timestamp
  t.ok(cache.admitNow('victim', 'same-second', ts, now + 2000), "the victim's fresh header stamped in the second of its first is admitted");
  t.ok(cache.admitNow('victim', 'clock-behind', String(now / 1000 - 60), now + 2000), 'and one from a machine whose clock is a minute behind');
  t.notOk(cache.admitNow('flooder', 'n0', String(now / 1000), now + 2000), "the flooder's forgotten headers are refused by its own floor");
});

t.test('at the bound, the client holding the most entries is the one forgotten from, whatever the order', async (t) => {
  const cache = new NonceCache(30 * 60 * 1000, 10);
  const now = 1_800_000_000_000;
  const ts = String(now / 1000);
  for (let i = 0; i < 3; i += 1) t.ok(cache.admitNow('a', `a${i}`, ts, now));
  let admitted = 0;
  for (let i = 0; i < 50; i += 1) if (cache.admitNow('b', `b${i}`, String(now / 1000 + i), now + 1)) admitted += 1;
  t.equal(admitted, 50, 'b signs 50 fresh headers, five times the bound');
  for (let i = 0; i < 3; i += 1) t.notOk(cache.admitNow('a', `a${i}`, ts, now + 2), `a's header ${i} is still remembered`);
  t.ok(cache.admitNow('a', 'a-new', ts, now + 2), 'a keeps its window');
  t.notOk(cache.admitNow('b', 'b-new', ts, now + 2), 'b, which overflowed the bound, pushed its own floor');
  t.notOk(cache.admitNow('a', 'a-new', ts, now + 60_000), "a's headers stay remembered");
  // b's entries expire; a client arriving later is never held back by b's history
  t.ok(cache.admitNow('c', 'c0', ts, now + 31 * 60 * 1000), 'after the window, a new client is admitted');
  t.ok(cache.admitNow('b', 'b-later', String(now / 1000 + 1900), now + 31 * 60 * 1000), 'and b again, past its floor');
});

t.test('the nonce cache at its bound over many admissions: the newest are remembered, the forgotten stay refused', async (t) => {
  const cache = new NonceCache(10_000, 50);
  let admitted = 0;
  // ten entries per second of ts, each expiring 10 s after it was admitted, re-admissions of expired ones among them
  for (let i = 0; i < 5000; i += 1) if (cache.admitNow('k', `n${i % 4000}`, String(1000 + Math.floor(i / 10)), i * 100)) admitted += 1;
  t.equal(admitted, 5000, 'every fresh header admitted (the expired ones again)');
  const last = (i: number) => [`n${i % 4000}`, String(1000 + Math.floor(i / 10))] as const;
  let replays = 0;
  for (let i = 4950; i < 5000; i += 1) if (cache.admitNow('k', ...last(i), 500_000)) replays += 1;
  t.equal(replays, 0, 'the 50 newest, still live, are refused as replays');
  t.notOk(cache.admitNow('k', ...last(4900), 500_000), 'one forgotten past the bound is refused by the floor');
  t.ok(cache.admitNow('k', 'fresh', '1500', 500_000), 'a later header is admitted');
});

t.test('a client signing many requests is one caller, shared and frozen; a changed record is a new one', async (t) => {
  const signer = new HawkSigner(root);
  const target = { method: 'GET', host: 'gw.test', port: 443, resource: '/api/x' };
  const request = () => ({ method: 'GET', resource: '/api/x', host: 'gw.test', port: 443, authorization: signer.header(target) });
  const cache = new NonceCache();
  t.equal(cache.admit('k', 'n', '1', 0), 'admitted', "the process's nonce cache answers at once, with no promise");
  const directory = directoryOf(root);
  const first = await verifyRequest(request(), directory, { nonceCache: cache });
  const second = await verifyRequest(request(), directory, { nonceCache: cache });
  t.equal(second, first, 'the same caller for every header the client signs');
  t.ok(Object.isFrozen(first), 'frozen: no request can change what the next one sees');
  t.notOk('key' in first, 'the caller carries no key');
  t.same([first.clientId, first.scheme], [root.clientId, 'hawk']);
  const changed = await verifyRequest(request(), directoryOf({ ...root, scopes: ['secrets:get:only'] }), { nonceCache: cache });
  t.not(changed, first, 'a changed record (a reloaded directory) is a new caller');
  t.ok(changed.scopes.includes('secrets:get:only') && !changed.scopes.includes('secrets:*'), 'with the new scopes');
});
