// taskcluster-proxy's routes_test, ported, and what crosses the proxy: paths, headers, errors.
// What every forwarding plugin does (redirects, retries, timeouts, streaming): test/net/forwarder/.
import t from 'tap';
import { connect, type AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { startFakeTaskcluster } from '../../helpers/fake-taskcluster.js';
import { rawRequest } from '../../helpers/raw-request.js';
import { clients, permanent, startGateway } from './gateway.js';

t.test('routes', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker) });
  t.teardown(() => gw.close());

  t.test('non-canonical URLs reach the upstream byte for byte (TestNonCanonicalUrls)', async (t) => {
    for (const path of ['/queue/v1/double//slash/encode1%2F/encode2%252F/encode3%25252F', '/api/queue/v1/double//slash/encode1%2F/encode2%252F/encode3%25252F']) {
      const echo = await (await fetch(`${gw.url}${path}?a=%2F&b=c+d&e`)).json();
      t.equal(echo.path, '/api/queue/v1/double//slash/encode1%2F/encode2%252F/encode3%25252F', `${path}: path`);
      t.equal(echo.query, 'a=%2F&b=c+d&e', `${path}: query`);
      t.equal(echo.clientId, clients.worker.clientId, `${path}: signed for the exact path`);
    }
  });

  t.test('methods, headers and bodies', async (t) => {
    for (const method of ['GET', 'HEAD', 'DELETE', 'PATCH', 'OPTIONS', 'PUT']) {
      const res = await fetch(`${gw.url}/queue/v1/m`, { method });
      t.equal(res.status, 200, `${method} forwarded`);
      if (method !== 'HEAD') t.equal((await res.json()).method, method);
      else t.equal(tc.requests.at(-1)?.method, 'HEAD');
    }
    const res = await fetch(`${gw.url}/queue/v1/h`, {
      method: 'POST',
      headers: { authorization: 'Bearer client-own', 'x-custom': 'kept', 'content-type': 'text/plain' },
      body: 'payload',
    });
    const echo = await res.json();
    t.match(echo.headers.authorization, /^Hawk id="project\/worker"/, "the client's Authorization is replaced");
    t.equal(echo.headers['x-custom'], 'kept');
    t.equal(echo.headers.host, `127.0.0.1:${tc.port}`, 'Host is the upstream');
    t.equal(echo.headers['content-type'], 'text/plain');
    t.equal(echo.body, 'payload');
    // taskcluster-proxy adds a JSON content type to a body sent without one (Taskcluster #3521)
    const bare = await rawRequest(gw.url, 'PUT /queue/v1/bare HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close, x-hop\r\nX-Hop: dropped\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n\r\n{}');
    t.match(bare, /^HTTP\/1\.1 200/);
    const received = tc.requests.at(-1)!;
    t.equal(received.headers['content-type'], 'application/json');
    t.equal(received.body, '{}');
    t.equal(received.headers['x-hop'], undefined, 'headers named by Connection are hop-by-hop');
    t.equal(received.headers['keep-alive'], undefined);
    t.equal(received.headers.te, undefined);
  });

  t.test('response headers: hop-by-hop dropped, the rest kept', async (t) => {
    tc.route({ path: '/api/queue/v1/resp', headers: { 'x-upstream': 'yes', 'set-cookie': 'a=1', connection: 'x-private', 'x-private': 'no', 'x-taskcluster-proxy-perm-clientid': 'spoofed' }, body: 'ok' });
    const res = await fetch(`${gw.url}/queue/v1/resp`);
    t.equal(res.headers.get('x-upstream'), 'yes');
    t.equal(res.headers.get('set-cookie'), 'a=1');
    t.equal(res.headers.get('x-private'), null);
    t.equal(res.headers.get('x-taskcluster-proxy-perm-clientid'), clients.worker.clientId, "the proxy's own headers win");
    t.equal(await res.text(), 'ok');
  });
});

t.test('hostname form with an allow-list', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients), defaultPort: 443 });
  t.teardown(() => tc.close());
  // every https origin is reached on the fake's loopback port, so the hostname form can be followed end to end
  const dispatcher = new Agent({
    connect: (_options, callback) => {
      const socket = connect(tc.port, '127.0.0.1');
      socket.once('connect', () => callback(null, socket));
      socket.once('error', (err) => callback(err, null));
    },
  });
  t.teardown(() => dispatcher.close());
  const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker), proxy: { dispatcher, allowedHosts: ['storage.example.com'] } });
  t.teardown(() => gw.close());
  const res = await fetch(`${gw.url}/storage.example.com/bucket/a%2Fb?x=1`);
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-taskcluster-endpoint'), 'https://storage.example.com/bucket/a%2Fb?x=1');
  const echo = await res.json();
  t.same([echo.path, echo.query, echo.headers.host, echo.clientId], ['/bucket/a%2Fb', 'x=1', 'storage.example.com', clients.worker.clientId], 'signed for the named host');
  const refused = await fetch(`${gw.url}/evil.example.com/x`);
  t.equal(refused.status, 403);
  t.match(await refused.json(), { code: 'ForbiddenRequest', message: /evil\.example\.com/ });
});

t.test('unreachable and slow upstreams', async (t) => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));

  const dead = await startGateway({ rootUrl: `http://127.0.0.1:${deadPort}`, credentials: permanent(clients.worker) });
  t.teardown(() => dead.close());
  const started = Date.now();
  const res = await fetch(`${dead.url}/queue/v1/x`);
  t.equal(res.status, 502, 'connection refused after retries: 502');
  const body = await res.json();
  t.match(body, { code: 'UpstreamError', message: /Failed during proxy request/ });
  t.notMatch(JSON.stringify(body), /Hawk|mac=|accessToken/, 'no signature or secret in the error');
  t.ok(Date.now() - started >= 20, 'it retried for a while first');

  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  tc.route({ path: '/api/queue/v1/slow', hang: true });
  const slow = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker), proxy: { timeoutMs: 200 } });
  t.teardown(() => slow.close());
  const timedOut = await fetch(`${slow.url}/queue/v1/slow`);
  t.equal(timedOut.status, 504, 'no answer in time: 504');
  t.match(await timedOut.json(), { code: 'UpstreamTimeout' });
  t.equal(timedOut.headers.get('x-taskcluster-endpoint'), `${tc.rootUrl}/api/queue/v1/slow`);
});

t.test('large bodies stream both ways', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  const size = 48 * 1024 * 1024;
  const chunk = Buffer.alloc(1024 * 1024, 'z');
  const chunks = function* () {
    for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
  };
  const expected = createHash('sha256');
  for (const c of chunks()) expected.update(c);
  const digest = expected.digest('hex');
  tc.route({ path: '/api/object/v1/download', headers: { 'content-length': String(size) }, body: () => Readable.from(chunks()) });
  const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker) });
  t.teardown(() => gw.close());

  const down = await request(`${gw.url}/object/v1/download`);
  t.equal(down.headers['content-length'], String(size));
  const received = createHash('sha256');
  for await (const c of down.body) received.update(c);
  t.equal(received.digest('hex'), digest, 'download: every byte');

  const up = await request(`${gw.url}/object/v1/upload`, { method: 'PUT', headers: { 'content-length': String(size) }, body: Readable.from(chunks()) });
  const echo = (await up.body.json()) as { bodyLength: number; bodySha256: string };
  t.same([echo.bodyLength, echo.bodySha256], [size, digest], 'upload: every byte, signed and accepted');
});
