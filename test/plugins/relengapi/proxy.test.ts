import { createServer, request } from 'node:http';
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { deadUrl, PERMANENT_TOKEN, setup, TASK_PERMISSIONS } from './gateway-setup.js';

t.test('requests reach the service with the temporary token, paths, queries and bodies intact', async (t) => {
  const { relengapi, start } = await setup(t);
  const { url, logs, heartbeat } = await start();
  await heartbeat!();
  t.equal(relengapi.tokenRequests.length, 1, 'the heartbeat holds a token');

  const res = await fetch(`${url}/tooltool/sha512/ab%2Fcd//e?x=%2F&y`, { headers: { authorization: 'Bearer the-clients-own', 'x-custom': 'kept' } });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^application\/json/, 'service headers come back');
  const echo = await res.json();
  t.equal(relengapi.tokenRequests.length, 1, 'the same token proxies');
  t.same(JSON.parse(relengapi.tokenRequests[0]!.body).permissions, TASK_PERMISSIONS, 'permissions from the task scopes');
  t.equal(echo.headers.authorization, `Bearer ${relengapi.issued[0]!.token}`, "the client's Authorization replaced by the temporary token");
  t.equal(echo.headers['x-custom'], 'kept');
  t.equal(echo.headers.host, new URL(relengapi.url).host, 'Host is the service');
  t.equal(echo.path, '/sha512/ab%2Fcd//e', 'prefix stripped, rest kept byte for byte');
  t.equal(echo.query, 'x=%2F&y');

  const sha512 = 'ab'.repeat(64);
  t.equal((await (await fetch(`${url}/tooltool/sha512/${sha512}`)).json()).path, `/sha512/${sha512}`, 'long segments route');

  const mapped = await (await fetch(`${url}/mapper/gecko-dev/rev/git/abc`)).json();
  t.equal(mapped.path, '/mapper-base/gecko-dev/rev/git/abc', 'base path kept');
  t.equal(mapped.headers.authorization, echo.headers.authorization, 'the token is reused');
  t.equal(relengapi.tokenRequests.length, 1);

  const big = Buffer.alloc(3 * 1024 * 1024, 'relengapi');
  const posted = await (await fetch(`${url}/tooltool/upload`, { method: 'POST', body: big, headers: { 'content-type': 'application/octet-stream' } })).json();
  t.equal(posted.method, 'POST');
  t.ok(posted.body === big.toString(), 'a 3 MiB body arrives whole');
  const chunked = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"a":'));
      controller.enqueue(new TextEncoder().encode('1}'));
      controller.close();
    },
  });
  const streamed = await (await fetch(`${url}/tooltool/upload`, { method: 'PUT', body: chunked, duplex: 'half', headers: { 'content-type': 'application/json' } } as RequestInit)).json();
  t.equal(streamed.body, '{"a":1}', 'a chunked body streams through unparsed');

  const expecting = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const sent = request(`${url}/tooltool/upload`, { method: 'PUT', headers: { expect: '100-continue', 'content-length': 5 } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode!, body }));
    });
    sent.on('continue', () => sent.end('12345')).on('error', reject);
  });
  t.equal(expecting.status, 200, 'Expect: 100-continue works');
  t.equal(JSON.parse(expecting.body).body, '12345');

  const text = logs();
  t.match(text, /proxying to RelengAPI with the task permissions/, 'logs were captured');
  for (const { token } of relengapi.issued) t.notOk(text.includes(token), 'no temporary token in the logs');
  t.notOk(text.includes(PERMANENT_TOKEN), 'no permanent token in the logs');
});

t.test('a path under no configured prefix is a 404, and asks for no token', async (t) => {
  const { relengapi, start } = await setup(t);
  const { url } = await start();
  for (const path of ['/treestatus/trees', '/tooltoolx/y', '/']) {
    const res = await fetch(`${url}${path}`);
    t.equal(res.status, 404, path);
    t.equal((await res.json()).code, 'ResourceNotFound');
  }
  t.equal(relengapi.tokenRequests.length, 0);
});

t.test('a 401 from a service renews the token once and sends a request whose body is held again', async (t) => {
  const { relengapi, start } = await setup(t);
  const { url, logs } = await start({ 'relengapi.bufferLimit': 1024 });
  t.equal((await fetch(`${url}/tooltool/a`)).status, 200);
  relengapi.revokeAll();

  const res = await fetch(`${url}/tooltool/b`);
  t.equal(res.status, 200, 'the client never sees the 401');
  t.equal((await res.json()).headers.authorization, `Bearer ${relengapi.issued[1]!.token}`, 'replayed with a new token');
  t.same(relengapi.rejected.map((r) => r.path), ['/b'], 'one 401');
  t.equal(relengapi.tokenRequests.length, 2);

  relengapi.revokeAll();
  const held = await fetch(`${url}/tooltool/upload`, { method: 'POST', body: 'data', headers: { 'content-type': 'text/plain' } });
  t.equal(held.status, 200, 'a body within the buffer limit is held, and sent again');
  t.same([(await held.json()).body, relengapi.tokenRequests.length], ['data', 3]);

  relengapi.revokeAll();
  const upload = await fetch(`${url}/tooltool/upload`, { method: 'POST', body: 'x'.repeat(2048), headers: { 'content-type': 'text/plain' } });
  t.equal(upload.status, 401, 'a body beyond the limit is spent: the 401 is passed on');
  const after = await fetch(`${url}/tooltool/c`);
  t.equal(after.status, 200);
  t.equal((await after.json()).headers.authorization, `Bearer ${relengapi.issued[3]!.token}`, 'the next request has the renewed token');
  t.equal(relengapi.rejected.length, 3, 'no 401 for it');
  t.equal(relengapi.tokenRequests.length, 4);

  relengapi.revokeAll();
  const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => fetch(`${url}/tooltool/burst/${i}`)));
  t.same(burst.map((r) => r.status), Array(10).fill(200), 'a burst of 401s all replayed');
  t.equal(relengapi.tokenRequests.length, 5, 'with one renewal');
  const text = logs();
  for (const { token } of relengapi.issued) t.notOk(text.includes(token), 'no temporary token in the logs');
});

t.test('concurrent requests share one token request', async (t) => {
  const { relengapi, start } = await setup(t, { issueDelayMs: 150 });
  const { url } = await start();
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => fetch(`${url}/tooltool/${i}`)));
  t.same(answers.map((r) => r.status), Array(30).fill(200));
  t.equal(relengapi.tokenRequests.length, 1);
});

t.test('tokens are renewed before they expire and no request fails across renewals', async (t) => {
  const { relengapi, start } = await setup(t);
  // a token is used for 400 ms, and a request carrying it has 600 ms to reach the service
  const { url } = await start({ 'relengapi.tokenLifetimeMs': 1000, 'relengapi.renewBeforeMs': 600 });
  const answers: Array<Promise<number>> = [];
  const until = Date.now() + 2000;
  let i = 0;
  while (Date.now() < until) {
    // some requests are still at the service when the token they carry is replaced
    answers.push(fetch(`${url}/tooltool/${i++}?delayMs=${i % 4 === 0 ? 500 : 0}`).then((r) => r.status));
    await sleep(20);
  }
  const statuses = await Promise.all(answers);
  t.same(statuses.filter((s) => s !== 200), [], `all ${statuses.length} requests answered 200`);
  t.same(relengapi.rejected, [], 'the service never saw an expired token');
  t.ok(relengapi.tokenRequests.length >= 4, `renewed along the way (${relengapi.tokenRequests.length} tokens)`);
  const expiries = relengapi.issued.map((token) => Date.parse(token.requestedExpires));
  t.ok(expiries.every((expires, n) => n === 0 || expires > expiries[n - 1]!), 'each token asked for later than the last');
});

t.test('a client going away cancels its request to the service', async (t) => {
  const { relengapi, start } = await setup(t);
  const { url } = await start();
  const client = request(`${url}/tooltool/slow?delayMs=3000`);
  client.on('error', () => {});
  client.end();
  while (relengapi.issued.length === 0) await sleep(10);
  await sleep(200);
  client.destroy();
  const deadline = Date.now() + 1500;
  while (relengapi.cancelled.length === 0 && Date.now() < deadline) await sleep(20);
  t.same(relengapi.cancelled, ['/slow'], 'the service saw its client leave, long before it would have answered');
});

// an unreachable service, as every forwarding failure: test/net/forwarder/forwarding.test.ts
t.test('RelengAPI token failures are 502s', async (t) => {
  const dead = await deadUrl();
  const { relengapi, start } = await setup(t);

  const unreachableTokens = await start({ 'relengapi.tokenUrl': `${dead}/tokens` });
  const noToken = await fetch(`${unreachableTokens.url}/tooltool/x`);
  t.equal(noToken.status, 502);
  t.match(await noToken.json(), { code: 'UpstreamError', message: /token service .* is unreachable: ECONNREFUSED/ });

  const refused = await start({ 'relengapi.token': 'a-wrong-permanent-token' });
  await t.rejects(refused.heartbeat!(), { statusCode: 502, message: /refused a temporary token \(401\)/ }, 'the heartbeat fails');
  const denied = await fetch(`${refused.url}/tooltool/x`);
  t.equal(denied.status, 502);
  const body = await denied.text();
  t.match(JSON.parse(body), { code: 'UpstreamError', message: 'RelengAPI refused a temporary token (401): The issuing token is not valid' });
  t.notOk(body.includes('a-wrong-permanent-token'), 'the permanent token is not in the answer');
  t.notOk(refused.logs().includes('a-wrong-permanent-token'), 'nor in the logs');
  t.equal(relengapi.served.length, 0, 'nothing reached the service');

  // Found by attack (probe 8): a token URL's credentials (userinfo, which fetch refuses to send,
  // or a query token) were quoted in the 502 the task received and in the log lines, the
  // password twice (the message, and fetch's own error quoting the URL, stack included)
  for (const [what, tokenUrl] of [['userinfo', `${dead.replace('//', '//tokuser:tok-url-password@')}/tokens`], ['a query token', `${dead}/tokens?token=tok-url-password`]]) {
    const configured = await start({ 'relengapi.tokenUrl': tokenUrl });
    const failed = await fetch(`${configured.url}/tooltool/x`);
    const text = await failed.text();
    t.equal(failed.status, 502, `${what}: 502`);
    t.match(JSON.parse(text), { code: 'UpstreamError', message: /token service .* is unreachable/ }, `${what}: says what failed`);
    t.notOk(text.includes('tok-url-password'), `${what}: not in the answer`);
    t.notOk(configured.logs().includes('tok-url-password'), `${what}: nor in the logs`);
  }

  // the service's own words quoted a URL with a credential in its query: only userinfo was taken out
  const quoting = createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 503, name: 'Unavailable', description: 'Down? see https://r.example/tokens?token=QUOTED-TOKEN&x=1' } }));
  });
  await new Promise<void>((resolve) => quoting.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => quoting.close(resolve)));
  const quoted = await start({ 'relengapi.tokenUrl': `http://127.0.0.1:${(quoting.address() as { port: number }).port}/tokens` });
  const unavailable = await fetch(`${quoted.url}/tooltool/x`);
  const answer = await unavailable.text();
  t.equal(unavailable.status, 502);
  t.match(JSON.parse(answer), { code: 'UpstreamError', message: 'RelengAPI refused a temporary token (503): Down? see https://r.example/tokens?token=[REDACTED]&x=1' }, 'the service\'s message, the token in its URL replaced');
  t.notOk(quoted.logs().includes('QUOTED-TOKEN'), 'nor in the logs');
});
