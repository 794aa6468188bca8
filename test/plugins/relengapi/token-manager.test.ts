import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { TemporaryTokenManager, type TokenManagerOptions } from '../../../src/plugins/relengapi/token-manager.js';
import { startFakeRelengapi } from '../../helpers/fake-relengapi.js';

const permanentToken = 'permanent-token-that-must-stay-secret';
const permissions = ['tooltool.download.public', 'tooltool.download.internal'];

async function setup(t: Test, fake: { issueDelayMs?: number; grantable?: string[] } = {}, manager: Partial<TokenManagerOptions> = {}) {
  const relengapi = await startFakeRelengapi({ permanentToken, grantable: fake.grantable ?? permissions, issueDelayMs: fake.issueDelayMs });
  t.teardown(() => relengapi.close());
  const clock = { now: Date.now() };
  const tokens = new TemporaryTokenManager({
    tokenUrl: relengapi.tokenUrl,
    permanentToken,
    permissions,
    lifetimeMs: 600_000,
    renewBeforeMs: 10_000,
    now: () => clock.now,
    ...manager,
  });
  return { relengapi, tokens, clock };
}

t.test('a token is requested as RelengAPI expects and then reused', async (t) => {
  const { relengapi, tokens, clock } = await setup(t);
  const first = await tokens.token();
  t.equal(first, relengapi.issued[0]!.token, 'the token is result.token');
  const [request] = relengapi.tokenRequests;
  t.equal(request!.headers.authorization, `Bearer ${permanentToken}`);
  t.match(request!.headers['content-type'], /^application\/json/);
  const body = JSON.parse(request!.body);
  t.same(Object.keys(body).sort(), ['expires', 'metadata', 'permissions', 'typ']);
  t.same(body, { typ: 'tmp', expires: new Date(clock.now + 600_000).toISOString(), permissions, metadata: {} }, '10-minute token with the permissions');
  clock.now += 589_000;
  t.equal(await tokens.token(), first, 'reused until 10 s before expiry');
  t.equal(relengapi.tokenRequests.length, 1);
});

t.test('renewed 10 s before expiry, with configurable figures', async (t) => {
  const { relengapi, tokens, clock } = await setup(t, {}, { lifetimeMs: 60_000, renewBeforeMs: 5_000 });
  const first = await tokens.token();
  t.equal(JSON.parse(relengapi.tokenRequests[0]!.body).expires, new Date(clock.now + 60_000).toISOString(), 'lifetime as configured');
  clock.now += 54_999;
  t.equal(await tokens.token(), first, 'still the first token');
  clock.now += 1;
  const second = await tokens.token();
  t.not(second, first, 'a new token 5 s before expiry');
  t.equal(relengapi.tokenRequests.length, 2);
});

t.test('concurrent callers share one token request', async (t) => {
  const { relengapi, tokens } = await setup(t, { issueDelayMs: 100 });
  const got = await Promise.all(Array.from({ length: 25 }, () => tokens.token()));
  t.equal(relengapi.tokenRequests.length, 1, 'one request');
  t.same(new Set(got), new Set([relengapi.issued[0]!.token]), 'everyone got it');

  const rejected = got[0]!;
  const renewed = await Promise.all(Array.from({ length: 10 }, () => tokens.tokenAfterRejection(rejected)));
  t.equal(relengapi.tokenRequests.length, 2, 'a burst of 401s costs one renewal');
  t.same(new Set(renewed), new Set([relengapi.issued[1]!.token]));
  t.equal(await tokens.tokenAfterRejection(rejected), relengapi.issued[1]!.token, 'a late 401 on the old token does not renew again');
  t.equal(relengapi.tokenRequests.length, 2);
});

t.test('a refused token request is a 502 quoting RelengAPI, never the permanent token', async (t) => {
  const { tokens } = await setup(t, { grantable: ['tooltool.download.public'] });
  await t.rejects(tokens.token(), { code: 'UpstreamError', statusCode: 502, message: 'RelengAPI refused a temporary token (403): The issuing token cannot grant tooltool.download.internal' });

  const wrong = await setup(t, {}, { permanentToken: 'not-the-right-one' });
  const err = await wrong.tokens.token().catch((e: Error) => e);
  t.match(err, { statusCode: 502, message: /\(401\): The issuing token is not valid/ });
  t.notMatch((err as Error).message, /not-the-right-one/);

  // a failed request leaves nothing cached: the next caller asks again
  await t.rejects(wrong.tokens.token(), { statusCode: 502, message: /refused/ }, 'refused again');
  t.equal(wrong.relengapi.tokenRequests.length, 2);
});

t.test('an error answer that quotes the permanent token is redacted', async (t) => {
  const server = createServer((req, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`bad token ${req.headers.authorization}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const tokens = new TemporaryTokenManager({ tokenUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tokens`, permanentToken, permissions, lifetimeMs: 60_000, renewBeforeMs: 1_000 });
  await t.rejects(tokens.token(), { statusCode: 502, message: 'RelengAPI refused a temporary token (500): bad token Bearer [REDACTED]' });
});

t.test('connection errors and 5xx are retried briefly, other refusals are not', async (t) => {
  let answered = 0;
  const flaky = createServer((req, res) => {
    answered++;
    if (answered === 1) req.socket.destroy();
    else if (answered === 2) res.writeHead(503).end('busy');
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"result":{"token":"third-time-lucky"}}');
  });
  flaky.listen(0, '127.0.0.1');
  await once(flaky, 'listening');
  t.teardown(() => flaky.close());
  const tokenUrl = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/tokens`;
  const tokens = new TemporaryTokenManager({ tokenUrl, permanentToken, permissions, lifetimeMs: 60_000, renewBeforeMs: 1_000, retryDelayMs: 10 });
  t.equal(await tokens.token(), 'third-time-lucky', 'third attempt succeeds');
  t.equal(answered, 3);

  const noRetries = new TemporaryTokenManager({ tokenUrl, permanentToken, permissions, lifetimeMs: 60_000, renewBeforeMs: 1_000, retries: 0 });
  answered = 1;
  await t.rejects(noRetries.token(), { statusCode: 502, message: 'RelengAPI refused a temporary token (503): busy' }, 'retries: 0 gives up at once');
  t.equal(answered, 2);

  const refused = await setup(t, { grantable: [] }, { retryDelayMs: 10 });
  await t.rejects(refused.tokens.token(), { statusCode: 502, message: /\(403\)/ });
  t.equal(refused.relengapi.tokenRequests.length, 1, 'a 403 is not retried');
});

t.test('an unreachable token service is a 502', async (t) => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tokens`;
  server.close();
  await once(server, 'close');
  const tokens = new TemporaryTokenManager({ tokenUrl, permanentToken, permissions, lifetimeMs: 60_000, renewBeforeMs: 1_000, retryDelayMs: 10 });
  await t.rejects(tokens.token(), { code: 'UpstreamError', statusCode: 502, message: `RelengAPI token service ${tokenUrl} is unreachable: ECONNREFUSED` });
});

t.test('an answer without result.token is a 502', async (t) => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"result":{}}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tokens`;
  const tokens = new TemporaryTokenManager({ tokenUrl, permanentToken, permissions, lifetimeMs: 60_000, renewBeforeMs: 1_000 });
  await t.rejects(tokens.token(), { statusCode: 502, message: /without result\.token/ });
});
