// Hawk material with no single meaning is refused (401) before any key is looked up, by the local
// verifier and the remote one alike: each row was accepted, or read two ways, before.
import t from 'tap';
import hawk from 'hawk';
import { HawkSigner, NonceCache, verifyRequest } from '../../src/core/index.js';
import { remoteAuthenticator } from '../../src/core/remote-auth.js';
import { directoryOf } from '../helpers/directory.js';
import { startFakeAuth } from '../helpers/fake-auth.js';

const root = { clientId: 'project/root', accessToken: 'r'.repeat(44), scopes: ['secrets:*'] };
const other = { clientId: 'project/other', accessToken: 'o'.repeat(44), scopes: ['secrets:get:x'] };
const directory = directoryOf([root, other], []);
const target = { method: 'GET', host: 'gw.test', port: 443, resource: '/api/x?a=1' };
const credentials = { id: root.clientId, key: root.accessToken, algorithm: 'sha256' as const };

/** A header whose MAC is right for whatever ts and nonce it states: only their form is wrong. */
function headerWith(ts: string, nonce: string): string {
  const mac = hawk.crypto.calculateMac('header', credentials, { ...target, ts, nonce });
  return `Hawk id="${root.clientId}", ts="${ts}", nonce="${nonce}", mac="${mac}"`;
}

/** A bewit whose MAC is right for whatever expiry it states. */
function bewitWith(exp: string, resource = '/api/x?a=1'): string {
  const mac = hawk.crypto.calculateMac('bewit', credentials, { ts: exp, nonce: '', method: 'GET', resource, host: target.host, port: target.port });
  return Buffer.from(`${root.clientId}\\${exp}\\${mac}\\`).toString('base64url');
}

const signer = new HawkSigner(root);
const header = signer.header(target);
const bewit = new URL(signer.signedUrl(`https://gw.test${target.resource}`, 600)).searchParams.get('bewit')!;
const forged = Buffer.from(`${root.clientId}\\9999999999\\AAAA\\`).toString('base64url');

const refusals: Array<{ name: string; resource?: string; authorization?: string | string[]; message: RegExp }> = [
  { name: 'two bewit parameters (forged first)', resource: `/api/x?a=1&bewit=${forged}&bewit=${bewit}`, message: /more than one bewit/ },
  { name: 'two bewit parameters (forged last)', resource: `/api/x?a=1&bewit=${bewit}&bewit=${forged}`, message: /more than one bewit/ },
  { name: 'the same bewit twice', resource: `/api/x?a=1&bewit=${bewit}&bewit=${bewit}`, message: /more than one bewit/ },
  { name: 'a bewit in the path and one in the query', resource: `/api/x&bewit=${forged}?a=1&bewit=${bewit}`, message: /more than one bewit/ },
  { name: 'a bewit and an Authorization header', resource: `/api/x?a=1&bewit=${bewit}`, authorization: header, message: /both a bewit and an Authorization header/ },
  { name: 'two Authorization headers', authorization: [header, signer.header(target)], message: /more than one Authorization header/ },
  { name: 'a repeated attribute', authorization: header.replace(', mac=', ', nonce="again", mac='), message: /Duplicate attribute: nonce/ },
  { name: 'an unknown attribute', authorization: header.replace(', mac=', ', user="root", mac='), message: /Unknown attribute: user/ },
  { name: 'ts="abc"', authorization: headerWith('abc', 'n1'), message: /Invalid timestamp/ },
  { name: 'ts="1e9"', authorization: headerWith('1e9', 'n1'), message: /Invalid timestamp/ },
  { name: 'ts="-1"', authorization: headerWith('-1', 'n1'), message: /Invalid timestamp/ },
  { name: 'ts with 13 digits', authorization: headerWith('1'.repeat(13), 'n1'), message: /Invalid timestamp/ },
  { name: 'a 65-character nonce', authorization: headerWith(String(Math.floor(Date.now() / 1000)), 'n'.repeat(65)), message: /Invalid nonce/ },
  { name: 'a bewit expiring at "abc"', resource: `/api/x?a=1&bewit=${bewitWith('abc')}`, message: /Invalid bewit expiry/ },
  { name: 'a percent-encoded bewit', resource: `/api/x?a=1&bewit=${bewit.slice(0, 4)}%41${bewit.slice(5)}`, message: /Invalid bewit encoding/ },
  { name: 'an empty bewit', resource: '/api/x?a=1&bewit=', message: /Empty bewit/ },
];

t.test('local verifier: each row is 401 AuthenticationFailed with its reason', async (t) => {
  for (const row of refusals) {
    const request = { ...target, resource: row.resource ?? target.resource, authorization: row.authorization };
    await t.rejects(verifyRequest(request, directory, { nonceCache: new NonceCache() }), { code: 'AuthenticationFailed', statusCode: 401, message: row.message }, row.name);
  }
});

t.test('remote verifier: refused before the auth service is asked', async (t) => {
  const auth = await startFakeAuth(directory);
  t.teardown(() => auth.close());
  const authenticate = remoteAuthenticator({ rootUrl: auth.rootUrl, timeoutMs: 2000, nonceCache: new NonceCache() });
  for (const row of refusals) {
    const request = { ...target, resource: row.resource ?? target.resource, authorization: row.authorization };
    await t.rejects(authenticate(request), { code: 'AuthenticationFailed', statusCode: 401, message: row.message }, row.name);
  }
  t.equal(auth.calls.length, 0, 'no refused request reached the auth service');
});

t.test('well-formed material still verifies, as the hawk library agrees', async (t) => {
  const now = String(Math.floor(Date.now() / 1000));
  t.equal((await verifyRequest({ ...target, authorization: headerWith(now, 'n'.repeat(64)) }, directory)).clientId, root.clientId, 'a 64-character nonce');
  t.equal((await verifyRequest({ ...target, resource: `/api/x?a=1&bewit=${bewit}` }, directory)).scheme, 'bewit');
  t.equal((await verifyRequest({ ...target, authorization: [header] }, directory)).clientId, root.clientId, 'one Authorization header given as a list');
  const exp = String(Math.floor(Date.now() / 1000) + 60);
  const { attributes } = await hawk.server.authenticateBewit({ method: 'GET', url: `/api/x?a=1&bewit=${bewitWith(exp)}`, host: target.host, port: target.port }, () => credentials);
  t.equal(attributes.exp, exp, 'the hand-made bewit is one hawk accepts');
  t.equal((await verifyRequest({ ...target, resource: `/api/x?a=1&bewit=${bewitWith(exp)}` }, directory)).clientId, root.clientId);
});
