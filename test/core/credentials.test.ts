import t from 'tap';
import taskcluster from 'taskcluster-client';
import { createTemporaryCredentials, resolveCredentials, hawkExt, type ClientRecord } from '../../src/core/index.js';
import { directoryOf } from '../helpers/directory.js';

const issuer = { clientId: 'project/issuer', accessToken: 'a'.repeat(22) + 'b'.repeat(22), scopes: ['queue:*', 'auth:create-client:project/named*', 'secrets:get:x'] };
const directory = directoryOf(issuer);
const hour = 60 * 60 * 1000;
/** Scopes as the auth service reports them: the granted ones plus the anonymous role. */
const withAnonymous = (scopes: string[]) => [...scopes, 'assume:anonymous'].sort();

t.test('taskcluster-client temporary credentials validate in our validator', async (t) => {
  for (const clientId of [undefined, 'project/named/one']) {
    const made = taskcluster.createTemporaryCredentials({
      ...(clientId ? { clientId } : {}),
      start: new Date(), expiry: new Date(Date.now() + hour), scopes: ['queue:create-task:*'],
      credentials: { clientId: issuer.clientId, accessToken: issuer.accessToken },
    });
    const resolved = await resolveCredentials(directory, made.clientId, hawkExt(made));
    t.equal(resolved.key, made.accessToken, `${clientId ?? 'unnamed'}: derived key is the client's accessToken`);
    t.same([...resolved.scopes].sort(), withAnonymous(['queue:create-task:*']), 'scopes are the certificate scopes');
  }
});

t.test('our temporary credentials match taskcluster-client byte for byte', async (t) => {
  const start = new Date();
  const expiry = new Date(start.getTime() + hour);
  const ours = createTemporaryCredentials({ clientId: 'project/named/x', start, expiry, scopes: ['queue:a', 'queue:b'], credentials: issuer });
  const cert = JSON.parse(ours.certificate);
  t.equal(cert.issuer, issuer.clientId);
  t.equal(cert.seed.length, 44);
  const resolved = await resolveCredentials(directory, ours.clientId, hawkExt(ours));
  t.equal(resolved.key, ours.accessToken);
  t.same([...resolved.scopes].sort(), withAnonymous(['queue:a', 'queue:b']));
});

t.test('the auth service rules refuse what they must', async (t) => {
  const base = { start: new Date(), expiry: new Date(Date.now() + hour), scopes: ['queue:x'], credentials: issuer };
  const good = createTemporaryCredentials(base);
  const cert = JSON.parse(good.certificate);
  const ext = (c: unknown, extra: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({ certificate: c, ...extra })).toString('base64');
  const cases: Array<[string, string, string | undefined, RegExp]> = [
    // its first character changed (a random signature starts with 'x' one time in 64)
    ['bad signature', good.clientId, ext({ ...cert, signature: (cert.signature[0] === 'x' ? 'y' : 'x') + cert.signature.slice(1) }), /signature is not valid/],
    ['expired', good.clientId, ext({ ...cert, expiry: Date.now() - 6 * 60 * 1000 }), /expiry < now/],
    ['future start', good.clientId, ext({ ...cert, start: Date.now() + 6 * 60 * 1000 }), /start > now/],
    ['too long', good.clientId, ext({ ...cert, expiry: cert.start + 32 * 24 * hour }), /31 days/],
    ['short seed', good.clientId, ext({ ...cert, seed: 'abc' }), /seed/],
    ['version 2', good.clientId, ext({ ...cert, version: 2 }), /version/],
    ['clientId without issuer', good.clientId, ext({ ...cert, clientId: 'x' }), /clientId is not allowed/],
    ['issuer equal to id', issuer.clientId, ext({ ...cert, issuer: issuer.clientId }), /must differ/],
    ['scopes beyond issuer', good.clientId, ext(JSON.parse(createTemporaryCredentials({ ...base, scopes: ['secrets:set:y'] }).certificate)), /does not have the scopes/],
    ['unknown client', 'nobody', undefined, /does not exist/],
    ['garbage ext', good.clientId, '!!!notbase64json', /parse ext/],
    ['authorizedScopes beyond', issuer.clientId, Buffer.from(JSON.stringify({ authorizedScopes: ['secrets:set:z'] })).toString('base64'), /do not satisfy authorizedScopes/],
  ];
  for (const [name, id, e, message] of cases) {
    await t.rejects(resolveCredentials(directory, id, e), { code: 'AuthenticationFailed', message }, name);
  }
  const named = createTemporaryCredentials({ ...base, clientId: 'other/name' });
  await t.rejects(resolveCredentials(directory, named.clientId, hawkExt(named)), { message: /auth:create-client:other\/name/ }, 'named credentials need auth:create-client');
});

t.test('authorizedScopes narrow the caller', async (t) => {
  const resolved = await resolveCredentials(directory, issuer.clientId, hawkExt(issuer, ['queue:x']));
  t.same([...resolved.scopes].sort(), withAnonymous(['queue:x']));
});

t.test('a certificate resolved once is checked again in time and against a changed issuer', async (t) => {
  let record: ClientRecord = { ...issuer };
  const changing = { client: (id: string) => (id === issuer.clientId ? record : undefined), expand: directory.expand };
  const start = Date.now();
  const made = createTemporaryCredentials({ start: new Date(start), expiry: new Date(start + hour), scopes: ['queue:x'], credentials: issuer });
  const ext = hawkExt(made);
  t.equal((await resolveCredentials(changing, made.clientId, ext, start)).key, made.accessToken, 'first use');
  t.equal((await resolveCredentials(changing, made.clientId, ext, start + 1000)).key, made.accessToken, 'second use, same answer');
  await t.rejects(resolveCredentials(changing, made.clientId, ext, start + hour + 6 * 60 * 1000), { message: /expiry < now/ }, 'expired since its first use');
  await t.rejects(resolveCredentials(changing, made.clientId, ext, start - 6 * 60 * 1000), { message: /start > now/ }, 'not yet valid at that time');
  record = { ...issuer, accessToken: 'c'.repeat(44) };
  await t.rejects(resolveCredentials(changing, made.clientId, ext, start), { message: /signature is not valid/ }, 'issuer rotated its token: checked afresh');
  record = { ...issuer, expires: new Date(start - 1000) };
  await t.rejects(resolveCredentials(changing, made.clientId, ext, start), { message: /has expired/ }, 'issuer expired');
});
