// taskcluster-proxy's credentials_update_test, ported, with what workers really send (corrections.md).
import t from 'tap';
import { request } from 'undici';
import type { Credentials } from '../../../src/core/index.js';
import { startFakeTaskcluster } from '../../helpers/fake-taskcluster.js';
import { clients, permanent, startGateway, temporary } from '../proxy/gateway.js';

t.test('PUT /credentials', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker) });
  t.teardown(() => gw.close());
  const whoSigns = async () => (await (await fetch(`${gw.url}/queue/v1/whoami`)).json()).clientId;

  t.test('other methods: 405', async (t) => {
    for (const method of ['POST', 'GET', 'DELETE', 'PATCH']) {
      const res = await fetch(`${gw.url}/credentials`, { method });
      t.equal(res.status, 405, method);
      t.match(await res.json(), { code: 'MethodNotAllowed' });
    }
    t.equal(tc.requests.length, 0, 'never proxied');
  });

  t.test('empty, bad JSON and bad credentials: 400, old credentials kept', async (t) => {
    const temp = temporary(clients.other, ['queue:x']);
    const badCert = { ...JSON.parse(temp.certificate as string), version: 2 };
    const bodies: Array<[string, string | undefined]> = [
      ['no body', undefined],
      ['empty body', ''],
      ['bad JSON', '{"badJS0n!'],
      ['JSON cut short after the token', JSON.stringify(temp).slice(0, -1)],
      ['not an object', '"x"'],
      ['missing accessToken', JSON.stringify({ clientId: 'x' })],
      ['certificate of the wrong shape', JSON.stringify({ ...temp, certificate: JSON.stringify(badCert) })],
      ['certificate not JSON', JSON.stringify({ ...temp, certificate: '{nope' })],
      // a clientId no Taskcluster client can have: it goes into every Hawk header and the identity
      // headers of every answer. Found by attack (probe 8): a CR/LF one was installed, its PUT
      // answered 500 in Fastify's own shape (the renderer's answer carried the bad header too), and
      // every proxied request after it 400 ERR_INVALID_CHAR; a quote or non-ASCII one, 401 on each
      ['clientId with CR LF', JSON.stringify({ ...permanent(clients.other), clientId: 'other\r\nX-Injected: 1' })],
      ['clientId with a quote', JSON.stringify({ ...permanent(clients.other), clientId: 'oth"er' })],
      ['clientId not ASCII', JSON.stringify({ ...permanent(clients.other), clientId: 'othér' })],
      ['temporary clientId with a space', JSON.stringify({ ...temp, clientId: 'oth er' })],
    ];
    for (const [name, body] of bodies) {
      const res = await request(`${gw.url}/credentials`, { method: 'PUT', body });
      t.equal(res.statusCode, 400, `${name}: 400`);
      const text = await res.body.text();
      t.match(JSON.parse(text), { code: 'InputError' }, `${name}: JSON error`);
      t.notMatch(text, new RegExp(`${clients.other.accessToken}|${temp.accessToken}|${badCert.signature.replace(/[+/=]/g, '.')}`), `${name}: no secret in the error body`);
    }
    t.equal(await whoSigns(), clients.worker.clientId, 'still the old credentials');
  });

  t.test('good PUT with any content type or none: 200 and the three fields replaced', async (t) => {
    const cases: Array<[string, Record<string, string>, Credentials]> = [
      ['no content type (generic-worker)', {}, permanent(clients.other)],
      ['text/json (docker-worker)', { 'content-type': 'text/json' }, temporary(clients.worker, ['queue:*'])],
      ['application/json', { 'content-type': 'application/json' }, { ...permanent(clients.other), certificate: '' }],
    ];
    for (const [name, headers, credentials] of cases) {
      const res = await request(`${gw.url}/credentials`, { method: 'PUT', headers, body: JSON.stringify(credentials) });
      t.equal(res.statusCode, 200, `${name}: 200`);
      await res.body.dump();
      t.equal(gw.holder.current.credentials.clientId, credentials.clientId, `${name}: clientId replaced`);
      t.equal(gw.holder.current.credentials.accessToken, credentials.accessToken, `${name}: accessToken replaced`);
      t.equal(gw.holder.current.certificate !== undefined, Boolean(credentials.certificate), `${name}: certificate replaced`);
      t.equal(res.headers[credentials.certificate ? 'x-taskcluster-proxy-temp-clientid' : 'x-taskcluster-proxy-perm-clientid'], credentials.clientId, `${name}: answer names the new credentials`);
      t.equal(await whoSigns(), credentials.clientId, `${name}: the next request signs with them`);
    }
  });
});
