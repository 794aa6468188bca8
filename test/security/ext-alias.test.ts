// Found by attack on the first fix of issue 12.1: the resolved-ext cache keyed `id\next`, and a
// bewit's id and ext are free text the MAC does not bind apart, so a first bewit (bad MAC) with
// ext `e30=\n<ext>` (Node's base64 stops at `=`: read as `{}`) left the signer's full scopes
// under the key that `id\ne30=` with the proxy's real MAC and restricted `<ext>` then hit: 200
// for a secret outside authorizedScopes. Each of three layers now stops it (a client-id check,
// canonical base64 for ext, an unambiguous cache key); these are the attack's requests.
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { createTemporaryCredentials, parseExt, type Credentials } from '../../src/core/index.js';
import { startGateway as startProxy } from '../plugins/proxy/gateway.js';
import { clients, startGateway as startSecrets } from '../plugins/secrets/gateway.js';
import { sqliteBackend } from '../plugins/secrets/store/sqlite-backend.js';

const restriction = ['secrets:get:project/demo/*'];
const fields = (bewit: string) => Buffer.from(bewit, 'base64url').toString('latin1').split('\\') as [string, string, string, string];
const encode = (parts: string[]) => Buffer.from(parts.join('\\'), 'latin1').toString('base64url');

t.test('parseExt takes canonical base64 only (either alphabet, padding optional)', async (t) => {
  const ext = Buffer.from(JSON.stringify({ authorizedScopes: ['a'] })).toString('base64');
  t.same(parseExt(ext), { authorizedScopes: ['a'] });
  t.same(parseExt(ext.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')), { authorizedScopes: ['a'] }, 'url-safe, unpadded (Python client)');
  for (const bad of [`e30=\n${ext}`, `e30=${ext}`, `${ext}\n`, ` ${ext}`, `${ext}!`]) t.throws(() => parseExt(bad), { code: 'AuthenticationFailed', message: 'Failed to parse ext' }, JSON.stringify(bad.slice(0, 8)));
});

for (const [kind, credentials] of [
  ['permanent', { clientId: clients.root.clientId, accessToken: clients.root.accessToken }],
  ['temporary', createTemporaryCredentials({ start: new Date(Date.now() - 60_000), expiry: new Date(Date.now() + 3_600_000), scopes: ['secrets:get:*'], credentials: clients.issuer })],
] as Array<[string, Credentials]>) {
  t.test(`${kind} proxy credentials: an aliased (id, ext) pair gains nothing`, async (t) => {
    const secrets = await startSecrets(t, await sqliteBackend.fresh(t));
    await new taskcluster.Secrets({ rootUrl: secrets.rootUrl, credentials: clients.root, retries: 0 }).set('other/prod', { secret: { v: 'prod-only' }, expires: taskcluster.fromNow('1 hour') });
    const proxy = await startProxy({ rootUrl: secrets.rootUrl, credentials, authorizedScopes: restriction });
    t.teardown(() => proxy.close());
    const target = `${secrets.rootUrl}/api/secrets/v1/secret/other%2Fprod`;
    const signed = await (await fetch(`${proxy.url}/bewit`, { method: 'POST', body: target, redirect: 'manual' })).text();
    t.equal((await fetch(signed)).status, 403, 'honest: the restricted bewit is refused other/prod');

    const [id, exp, mac, ext] = fields(new URL(signed).searchParams.get('bewit')!);
    // an ext without authorizedScopes, padded so that its base64 ends in `=` (where Node's decoder stops)
    let json = JSON.stringify(kind === 'temporary' ? { certificate: JSON.parse(credentials.certificate as string) } : {});
    while (json.length % 3 === 0) json += ' ';
    const unrestricted = Buffer.from(json).toString('base64');
    const prime = await fetch(`${target}?bewit=${encode([id, exp, 'AAAA', `${unrestricted}\n${ext}`])}`);
    t.equal(prime.status, 401, 'the priming bewit is refused');
    t.match(await prime.json(), { code: 'AuthenticationFailed', message: 'Failed to parse ext' });
    const smuggled = await fetch(`${target}?bewit=${encode([`${id}\n${unrestricted}`, exp, mac, ext])}`);
    t.equal(smuggled.status, 401, 'the bewit whose id carries the rest of the alias is refused');
    const body = await smuggled.json();
    t.match(body, { code: 'AuthenticationFailed', message: 'Invalid bewit id: not a client id' });
    t.notMatch(JSON.stringify(body), 'prod-only');
  });
}
