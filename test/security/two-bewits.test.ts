// Issue 12.1, the attack as it was run: a task whose proxy is restricted to
// secrets:get:project/demo/* read other/prod from a secrets gateway on local auth by having its
// proxy's /bewit sign a URL that already carried a forged bewit. Now /bewit refuses such a URL,
// and the secrets gateway refuses a URL with two bewits, whoever signed them; the honest paths
// keep working.
import { request as httpRequest } from 'node:http';
import hawk from 'hawk';
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { createTemporaryCredentials, HawkSigner } from '../../src/core/index.js';
import { startGateway as startProxy } from '../plugins/proxy/gateway.js';
import { clients, startGateway as startSecrets } from '../plugins/secrets/gateway.js';
import { sqliteBackend } from '../plugins/secrets/store/sqlite-backend.js';

const restriction = ['secrets:get:project/demo/*'];

t.test('a forged bewit beside a real one grants nothing', async (t) => {
  const secrets = await startSecrets(t, await sqliteBackend.fresh(t));
  const root = new taskcluster.Secrets({ rootUrl: secrets.rootUrl, credentials: clients.root, retries: 0 });
  const expires = taskcluster.fromNow('1 hour');
  await root.set('other/prod', { secret: { password: 'prod-only' }, expires });
  await root.set('project/demo/x', { secret: { v: 'demo' }, expires });

  // the task's proxy: temporary credentials from the issuer, restricted by authorizedScopes
  const credentials = createTemporaryCredentials({ start: new Date(Date.now() - 60_000), expiry: new Date(Date.now() + 3_600_000), scopes: ['secrets:get:*'], credentials: clients.issuer });
  const proxy = await startProxy({ rootUrl: secrets.rootUrl, credentials, authorizedScopes: restriction });
  t.teardown(() => proxy.close());
  const sign = async (url: string) => {
    const res = await fetch(`${proxy.url}/bewit`, { method: 'POST', body: url, redirect: 'manual' });
    return { status: res.status, text: await res.text() };
  };
  const secretUrl = (name: string) => `${secrets.rootUrl}/api/secrets/v1/secret/${encodeURIComponent(name)}`;

  const demo = await sign(secretUrl('project/demo/x'));
  t.equal((await fetch(demo.text)).status, 200, 'honest: the restricted bewit reads what it may');
  const honest = await fetch((await sign(secretUrl('other/prod'))).text);
  t.equal(honest.status, 403, 'honest: the restricted bewit cannot read other/prod');

  // the forged bewit: the proxy's clientId and an ext with the certificate but no authorizedScopes
  const realBewit = new URL(demo.text).searchParams.get('bewit')!;
  const realExt = Buffer.from(realBewit, 'base64url').toString('latin1').split('\\')[3]!;
  const { certificate } = JSON.parse(Buffer.from(realExt, 'base64').toString('utf8')) as { certificate: unknown };
  const unrestrictedExt = Buffer.from(JSON.stringify({ certificate })).toString('base64');
  const forged = Buffer.from(`${credentials.clientId}\\9999999999\\AAAA\\${unrestrictedExt}`).toString('base64url');
  const withForged = `${secretUrl('other/prod')}?bewit=${forged}`;

  const refused = await sign(withForged);
  t.equal(refused.status, 400, '/bewit refuses a URL that already has a bewit');
  t.match(JSON.parse(refused.text), { code: 'InputError', message: 'the URL already has a bewit parameter: remove it, /bewit adds the only one', requestInfo: { method: 'POST', payload: '(OMITTED)' } });
  t.notMatch(refused.text, forged, 'the error does not echo the bewit');

  // what /bewit used to answer: a real bewit appended after the forged one
  const key = { id: credentials.clientId, key: credentials.accessToken, algorithm: 'sha256' as const };
  const twoBewits = `${withForged}&bewit=${hawk.client.getBewit(withForged, { credentials: key, ttlSec: 600, ext: new HawkSigner(credentials, restriction).ext })}`;
  const attack = await fetch(twoBewits);
  t.equal(attack.status, 401, 'the secrets gateway refuses a URL with two bewits');
  const body = (await attack.json()) as Record<string, unknown>;
  t.match(body, { code: 'AuthenticationFailed', message: 'Request has more than one bewit parameter', requestInfo: { method: 'GET', params: { name: 'other/prod' } } });
  t.notMatch(JSON.stringify(body), 'prod-only', 'no secret in the answer');
  t.notMatch(secrets.logText(), 'prod-only', 'no secret in the log');
});

t.test('over HTTP: two Authorization headers are 401, one of them alone is 200', async (t) => {
  const secrets = await startSecrets(t, await sqliteBackend.fresh(t));
  const root = new taskcluster.Secrets({ rootUrl: secrets.rootUrl, credentials: clients.root, retries: 0 });
  await root.set('project/foo/a', { secret: { v: 1 }, expires: taskcluster.fromNow('1 hour') });
  const url = `${secrets.rootUrl}/api/secrets/v1/secret/project%2Ffoo%2Fa`;
  const get = (authorization: string[]) => new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    // headers as a raw list (Host included: node adds none to a list): each value its own line
    const req = httpRequest(url, { headers: ['host', new URL(url).host, ...authorization.flatMap((value) => ['authorization', value])] }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
  const reader = new HawkSigner(clients.reader);
  const powerful = new HawkSigner(clients.root);
  const two = await get([reader.headerForUrl('GET', url), powerful.headerForUrl('GET', url)]);
  t.equal(two.status, 401);
  t.match(two.body, { code: 'AuthenticationFailed', message: 'Request has more than one Authorization header', requestInfo: { method: 'GET' } });
  const one = await get([reader.headerForUrl('GET', url)]);
  t.equal(one.status, 200, 'a single header still works');
  t.same(one.body.secret, { v: 1 });
});
