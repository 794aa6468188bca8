// taskcluster-proxy's /bewit scenarios (authorization_test), ported: signed URLs the fake
// deployment accepts or refuses as the auth service would.
import t from 'tap';
import { request } from 'undici';
import { startFakeTaskcluster } from '../../helpers/fake-taskcluster.js';
import { clients, permanent, startGateway, temporary } from '../proxy/gateway.js';

/** The bewit's expiry (seconds since epoch): its second field. */
const bewitExpiry = (url: string) => Number(Buffer.from(new URL(url).searchParams.get('bewit')!, 'base64url').toString().split('\\')[1]);

t.test('/bewit', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  tc.route({ method: 'GET', path: '/api/queue/v1/task/x/artifacts/private/log', scope: 'queue:get-artifact:private/log' });

  const sign = async (gatewayUrl: string, url: string, init: { method?: string; headers?: Record<string, string> } = {}) => {
    const res = await request(`${gatewayUrl}/bewit`, { method: init.method ?? 'POST', headers: init.headers, body: `  ${url}\n` });
    const body = await res.body.text();
    return { status: res.statusCode, location: res.headers.location as string | undefined, body, headers: res.headers };
  };

  for (const [name, authorizedScopes] of [['without authorizedScopes', undefined], ['with authorizedScopes', ['queue:get-artifact:private/*']]] as const) {
    t.test(`a root URL API URL, ${name}`, async (t) => {
      const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: temporary(clients.worker, ['queue:*']), authorizedScopes: authorizedScopes ? [...authorizedScopes] : undefined });
      t.teardown(() => gw.close());
      const target = `${tc.rootUrl}/api/queue/v1/task/x/artifacts/private/log`;
      const signed = await sign(gw.url, target);
      t.equal(signed.status, 303);
      t.equal(signed.location, signed.body, 'Location equals the body');
      t.ok(signed.body.startsWith(`${target}?bewit=`), 'the URL with a bewit');
      t.equal(signed.headers['x-taskcluster-proxy-temp-clientid'], clients.worker.clientId, 'identity headers on /bewit too');
      const used = await fetch(signed.body);
      t.equal(used.status, 200, 'the signed URL works');
      const echo = await used.json();
      t.same([echo.scheme, echo.clientId], ['bewit', clients.worker.clientId]);
      if (authorizedScopes) t.notOk(echo.scopes.includes('queue:*'), 'the bewit carries the authorizedScopes');
    });
  }

  t.test('an arbitrary URL keeps host, path and query; any content type; POST and PUT', async (t) => {
    const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker), bewitTtlSec: 600 });
    t.teardown(() => gw.close());
    const url = 'https://storage.example.com/a%2Fb/c?x=1&y=a%20b&z=c+d';
    for (const [method, headers] of [['POST', { 'content-type': 'application/x-www-form-urlencoded' }], ['PUT', {}], ['POST', { 'content-type': 'text/plain' }], ['POST', { 'content-type': 'application/json' }]] as const) {
      const signed = await sign(gw.url, url, { method, headers });
      t.equal(signed.status, 303, `${method} ${JSON.stringify(headers)}`);
      t.match(signed.body, /^https:\/\/storage\.example\.com\/a%2Fb\/c\?x=1&y=a%20b&z=c\+d&bewit=[A-Za-z0-9_-]+$/, 'query kept byte for byte, bewit added');
    }
    const expiry = bewitExpiry((await sign(gw.url, url)).body);
    t.ok(Math.abs(expiry - (Date.now() / 1000 + 600)) < 5, 'lifetime as configured');
    const signed = await sign(gw.url, `${tc.rootUrl}/api/queue/v1/x?y=a%20b&z=c+d`);
    const echo = await (await fetch(signed.body)).json();
    t.same([echo.scheme, echo.clientId], ['bewit', clients.worker.clientId], 'a bewit over a query with escapes verifies');
  });

  t.test('default lifetime: one hour', async (t) => {
    const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker) });
    t.teardown(() => gw.close());
    const expiry = bewitExpiry((await sign(gw.url, 'https://x.example.com/')).body);
    t.ok(Math.abs(expiry - (Date.now() / 1000 + 3600)) < 5);
  });

  t.test('bewits the upstream refuses', async (t) => {
    const lacking = await startGateway({ rootUrl: tc.rootUrl, credentials: temporary(clients.worker, ['queue:get-artifact:public/*']) });
    t.teardown(() => lacking.close());
    const forbidden = await fetch((await sign(lacking.url, `${tc.rootUrl}/api/queue/v1/task/x/artifacts/private/log`)).body);
    t.equal(forbidden.status, 403, 'temporary credentials lacking the scope: 403');
    const overstepped = await startGateway({ rootUrl: tc.rootUrl, credentials: temporary(clients.worker, ['queue:get-artifact:public/*']), authorizedScopes: ['queue:get-artifact:private/log'] });
    t.teardown(() => overstepped.close());
    const unauthorized = await fetch((await sign(overstepped.url, `${tc.rootUrl}/api/queue/v1/task/x/artifacts/private/log`)).body);
    t.equal(unauthorized.status, 401, 'unsatisfiable authorizedScopes: 401');
  });

  t.test('the URL returned is the URL signed, where url.parse and WHATWG read a URL differently', async (t) => {
    const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker) });
    t.teardown(() => gw.close());
    const port = new URL(tc.rootUrl).port;
    for (const url of [`${tc.rootUrl}/api/x|y'z^w`, `${tc.rootUrl}/api/x?`, `${tc.rootUrl}/api/a/../b`, `${tc.rootUrl}/api/t\tab`, `http://0x7f.1:${port}/api/x`, `${tc.rootUrl}/api/x?q=a b`]) {
      const signed = await sign(gw.url, url);
      t.equal(signed.status, 303, url);
      const used = await fetch(signed.body);
      t.equal(used.status, 200, `${JSON.stringify(url)}: its bewit verifies at the fake (hawk's authenticateBewit)`);
      const echo = (await used.json()) as { path: string; scheme: string };
      t.equal(echo.scheme, 'bewit');
      t.equal(echo.path, new URL(signed.body).pathname, 'the path requested is the one returned');
    }
  });

  t.test('not an absolute http(s) URL: 400', async (t) => {
    const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker) });
    t.teardown(() => gw.close());
    for (const body of ['', '   ', 'not a url', '/relative/path', 'ftp://example.com/x', 'javascript:alert(1)']) {
      const res = await request(`${gw.url}/bewit`, { method: 'POST', body });
      t.equal(res.statusCode, 400, JSON.stringify(body));
      t.match(await res.body.json(), { code: 'InputError', message: /URL/ });
    }
    const get = await request(`${gw.url}/bewit`);
    t.equal(get.statusCode, 400, 'GET without a body');
    await get.body.dump();
  });
});
