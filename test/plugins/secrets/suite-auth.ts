// Who may call: permanent, temporary and named temporary credentials, authorizedScopes,
// roles (parameterized too), anonymous callers, bewits; 401 versus 403 as Taskcluster answers.
import hawk from 'hawk';
import taskcluster from 'taskcluster-client';
import type { Test } from 'tap';
import type { StoreBackend } from './store/backend.js';
import { clients, startGateway, type TestGateway } from './gateway.js';

const hour = 60 * 60 * 1000;

async function seeded(t: Test, backend: StoreBackend): Promise<TestGateway> {
  const gw = await startGateway(t, await backend.fresh(t));
  const root = new taskcluster.Secrets({ rootUrl: gw.rootUrl, credentials: clients.root, retries: 0 });
  for (const name of ['project/foo/bar', 'project/other', 'public/motd', 'team/team1/key', 'team/team2/key']) {
    await root.set(name, { secret: { name }, expires: taskcluster.fromNow('1 day') });
  }
  return gw;
}

const secretsAs = (gw: TestGateway, credentials?: object, extra: object = {}) =>
  new taskcluster.Secrets({ rootUrl: gw.rootUrl, retries: 0, ...(credentials ? { credentials } : {}), ...extra });

export function authTests(t: Test, backend: StoreBackend): void {
  t.test('scopes: 403 InsufficientScopes naming the expression, whether or not the secret exists', async (t) => {
    const gw = await seeded(t, backend);
    const reader = secretsAs(gw, clients.reader);
    t.same((await reader.get('project/foo/bar')).secret, { name: 'project/foo/bar' });
    for (const name of ['project/other', 'project/missing']) {
      const err = await reader.get(name).catch((e: { statusCode: number; body: Record<string, unknown> }) => e);
      t.equal(err.statusCode, 403, name);
      t.equal(err.body.code, 'InsufficientScopes');
      t.equal(err.body.required, `secrets:get:${name}`);
      t.match(err.body.message, `secrets:get:${name}`);
    }
    await t.rejects(reader.set('project/foo/bar', { secret: {}, expires: new Date(Date.now() + hour) }), { statusCode: 403, message: /secrets:set:project\/foo\/bar/ });
    await t.rejects(reader.remove('project/foo/bar'), { statusCode: 403, code: 'InsufficientScopes' });
    await t.rejects(secretsAs(gw, clients.writer).list(), { statusCode: 403, message: /secrets:list-secrets/ });
  });

  t.test('401 AuthenticationFailed: bad token, unknown client, bad ext', async (t) => {
    const gw = await seeded(t, backend);
    await t.rejects(secretsAs(gw, { ...clients.reader, accessToken: 'x'.repeat(44) }).get('project/foo/bar'), { statusCode: 401, code: 'AuthenticationFailed' });
    await t.rejects(secretsAs(gw, { clientId: 'nobody', accessToken: 'x'.repeat(44) }).get('project/foo/bar'), { statusCode: 401, message: /nobody/ });
    await t.rejects(secretsAs(gw, clients.reader, { authorizedScopes: ['secrets:set:anything'] }).get('project/foo/bar'), { statusCode: 401, message: /authorizedScopes/ });
  });

  t.test('anonymous: the anonymous role, and 403 (not 401) when it lacks the scope', async (t) => {
    const gw = await seeded(t, backend);
    const anonymous = secretsAs(gw);
    t.same((await anonymous.get('public/motd')).secret, { name: 'public/motd' });
    await t.rejects(anonymous.get('project/foo/bar'), { statusCode: 403, code: 'InsufficientScopes', message: /Client ID anonymous/ });
    t.same((await secretsAs(gw, clients.writer).get('public/motd')).secret, { name: 'public/motd' }, 'every caller holds the anonymous role');
  });

  t.test('temporary and named temporary credentials', async (t) => {
    const gw = await seeded(t, backend);
    const temporary = taskcluster.createTemporaryCredentials({
      start: new Date(), expiry: new Date(Date.now() + hour), scopes: ['secrets:get:project/foo/*'], credentials: clients.issuer,
    });
    t.same((await secretsAs(gw, temporary).get('project/foo/bar')).secret, { name: 'project/foo/bar' });
    await t.rejects(secretsAs(gw, temporary).get('project/other'), { statusCode: 403, code: 'InsufficientScopes' }, 'only the certificate scopes');
    const named = taskcluster.createTemporaryCredentials({
      clientId: 'project/named/worker1', start: new Date(), expiry: new Date(Date.now() + hour), scopes: ['secrets:set:project/named/*'], credentials: clients.issuer,
    });
    await secretsAs(gw, named).set('project/named/out', { secret: { by: 'worker' }, expires: new Date(Date.now() + hour) });
    const history = await new taskcluster.Auth({ rootUrl: gw.rootUrl, credentials: clients.root, retries: 0 }).getEntityHistory('secret', 'project/named/out');
    t.equal(history.auditHistory[0].clientId, 'project/named/worker1', 'the named clientId is audited');
    const badIssuer = taskcluster.createTemporaryCredentials({
      clientId: 'elsewhere/named', start: new Date(), expiry: new Date(Date.now() + hour), scopes: ['secrets:get:project/foo/bar'], credentials: clients.issuer,
    });
    await t.rejects(secretsAs(gw, badIssuer).get('project/foo/bar'), { statusCode: 401, message: /auth:create-client:elsewhere\/named/ });
  });

  t.test('authorizedScopes narrow the caller', async (t) => {
    const gw = await seeded(t, backend);
    const narrowed = secretsAs(gw, clients.root, { authorizedScopes: ['secrets:get:project/foo/bar'] });
    t.same((await narrowed.get('project/foo/bar')).secret, { name: 'project/foo/bar' });
    await t.rejects(narrowed.get('project/other'), { statusCode: 403, code: 'InsufficientScopes' });
  });

  t.test('roles, parameterized: assume:project-admin:team1 reaches team/team1 only', async (t) => {
    const gw = await seeded(t, backend);
    const member = secretsAs(gw, clients.teamMember);
    t.same((await member.get('team/team1/key')).secret, { name: 'team/team1/key' });
    await t.rejects(member.get('team/team2/key'), { statusCode: 403, code: 'InsufficientScopes' });
  });

  t.test('bewit: a signed GET URL works, reusable until it expires, and is checked', async (t) => {
    const gw = await seeded(t, backend);
    const reader = secretsAs(gw, clients.reader);
    const url = reader.buildSignedUrl(reader.get, 'project/foo/bar');
    t.match(url, /project%2Ffoo%2Fbar\?bewit=/);
    for (const round of [1, 2]) {
      const res = await fetch(url);
      t.equal(res.status, 200, `bewit use ${round}`);
      t.same((await res.json()).secret, { name: 'project/foo/bar' });
    }
    const denied = await fetch(reader.buildSignedUrl(reader.get, 'project/other'));
    t.equal(denied.status, 403);
    const tampered = await fetch(url.replace('project%2Ffoo%2Fbar', 'project%2Ffoo%2Fbaz'));
    t.equal(tampered.status, 401);
    const target = `${gw.rootUrl}/api/secrets/v1/secret/project%2Ffoo%2Fbar`;
    const credentials = { id: clients.reader.clientId, key: clients.reader.accessToken, algorithm: 'sha256' as const };
    const expired = hawk.client.getBewit(target, { credentials, ttlSec: 60, localtimeOffsetMsec: -2 * 60 * 1000 });
    const late = await fetch(`${target}?bewit=${expired}`);
    t.equal(late.status, 401);
    t.match((await late.json()).code, 'AuthenticationFailed');
    const both = await fetch(url, { headers: { authorization: hawk.client.header(url, 'GET', { credentials }).header } });
    t.equal(both.status, 401, 'a bewit and an Authorization header together');
    const bewit = new URL(url).searchParams.get('bewit')!;
    t.notMatch(gw.logText(), bewit, 'request logs do not carry the bewit');
    t.match(gw.logText(), 'bewit=[REDACTED]');
  });
}
