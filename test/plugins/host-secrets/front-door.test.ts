// Who the client is behind proxies, FORCE_SSL with TRUST_PROXY, the per-address rate limit and
// ping: all over the wire, from chosen loopback source addresses.
import t from 'tap';
import { get, startHostSecrets, clientIdBase } from './harness.js';
import { HSTS_HEADER } from '../../../src/plugins/host-secrets/force-ssl.js';
import { ptrName, startZoneServer } from './zone-server.js';

const zone = await startZoneServer({
  PTR: {
    [ptrName('127.0.0.5')]: ['a.test.example.com'],
    [ptrName('127.0.0.20')]: ['proxy.test.example.com'],
    [ptrName('127.0.0.21')]: ['other.test.example.com'],
  },
  A: { 'a.test.example.com': ['127.0.0.5'], 'proxy.test.example.com': ['127.0.0.20'], 'other.test.example.com': ['127.0.0.21'] },
});
t.teardown(() => zone.close());
const dns = { GATEWAY_DNS_SERVERS: zone.server };
const hostOf = (clientId: string) => clientId.slice(clientIdBase.length);

t.test('trusted proxies: only their X-Forwarded-For hops are believed', async (t) => {
  const hs = await startHostSecrets(t, { ...dns, GATEWAY_TRUSTED_PROXIES: '127.0.0.20' });
  const via = (localAddress: string, xff?: string) =>
    get(`${hs.url}/v1/credentials`, { localAddress, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } });
  t.equal(hostOf((await via('127.0.0.20', '127.0.0.5')).body.credentials.clientId), 'com.example.test.a', 'the client behind the trusted proxy');
  t.equal(hostOf((await via('127.0.0.21', '127.0.0.5')).body.credentials.clientId), 'com.example.test.other', 'a forged header from an untrusted peer is ignored');
  t.equal(hostOf((await via('127.0.0.20')).body.credentials.clientId), 'com.example.test.proxy', 'no header: the peer itself');
  t.match((await via('127.0.0.20', '127.0.0.5, 127.0.0.6')).body, { code: 'IPNotAllowed', message: /no PTR record for 127\.0\.0\.6/ }, 'the rightmost untrusted hop, not a client-written one');
  t.match((await via('127.0.0.20', 'not-an-ip')).body, { code: 'IPNotAllowed', message: /"not-an-ip", not an IP address/ });
});

t.test('no trusted proxies: X-Forwarded-For is never read, even when Fastify trusts every proxy', async (t) => {
  const hs = await startHostSecrets(t, dns, { trustProxy: true });
  const answer = await get(`${hs.url}/v1/credentials`, { localAddress: '127.0.0.20', headers: { 'x-forwarded-for': '127.0.0.5' } });
  t.equal(hostOf(answer.body.credentials.clientId), 'com.example.test.proxy');
});

t.test('FORCE_SSL: plain GET redirects to https, other methods are refused, HSTS on every answer', async (t) => {
  const hs = await startHostSecrets(t, { ...dns, FORCE_SSL: 'true' });
  const redirect = await get(`${hs.url}/v1/credentials?x=1`, { localAddress: '127.0.0.5' });
  t.equal(redirect.status, 301);
  t.equal(redirect.headers.location, `${hs.url.replace('http:', 'https:')}/v1/credentials?x=1`);
  t.equal(redirect.headers['strict-transport-security'], HSTS_HEADER);
  const post = await get(`${hs.url}/v1/credentials`, { localAddress: '127.0.0.5', method: 'POST' });
  t.match(post, { status: 403, body: { code: 'ForbiddenRequest', message: /HTTPS/ } });
  const forwarded = await get(`${hs.url}/v1/credentials`, { localAddress: '127.0.0.5', headers: { 'x-forwarded-proto': 'https' } });
  t.equal(forwarded.status, 301, 'X-Forwarded-Proto is not believed without TRUST_PROXY');
});

t.test('FORCE_SSL with TRUST_PROXY: the front\'s X-Forwarded-Proto decides; the client is still the peer', async (t) => {
  const hs = await startHostSecrets(t, { ...dns, FORCE_SSL: 'true', TRUST_PROXY: 'true' });
  const viaHttps = await get(`${hs.url}/v1/credentials`, { localAddress: '127.0.0.20', headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '127.0.0.5' } });
  t.equal(viaHttps.status, 200);
  t.equal(viaHttps.headers['strict-transport-security'], HSTS_HEADER);
  t.equal(hostOf(viaHttps.body.credentials.clientId), 'com.example.test.proxy', 'TRUST_PROXY never makes X-Forwarded-For the client');
  const appended = await get(`${hs.url}/v1/credentials`, { localAddress: '127.0.0.5', headers: { 'x-forwarded-proto': 'https, http' } });
  t.equal(appended.status, 301, 'the scheme the front appended last counts, not one the client wrote');
});

t.test('without FORCE_SSL there is no HSTS', async (t) => {
  const hs = await startHostSecrets(t, dns);
  const answer = await get(`${hs.url}/v1/credentials`, { localAddress: '127.0.0.5' });
  t.equal(answer.status, 200);
  t.notOk(answer.headers['strict-transport-security']);
});

t.test('rate limit per client address, on by default', async (t) => {
  const hs = await startHostSecrets(t, dns);
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) statuses.push((await get(`${hs.url}/v1/credentials`, { localAddress: '127.0.0.5' })).status);
  t.same(statuses, [200, 200, 200, 200, 200, 200, 429], 'six a minute by default');
  const limited = await get(`${hs.url}/v1/credentials`, { localAddress: '127.0.0.5' });
  t.match(limited, { status: 429, body: { code: 'TooManyRequests' } });
  t.ok(limited.headers['retry-after'], 'says when to come back');
  t.ok(hs.logs.some((l) => l.ip === '127.0.0.5' && /rate limit exceeded/.test(l.msg)), 'logged with the address');
  t.equal((await get(`${hs.url}/v1/credentials`, { localAddress: '127.0.0.21' })).status, 200, 'another address has its own allowance');
  for (let i = 0; i < 8; i++) t.equal((await get(`${hs.url}/v1/ping`, { localAddress: '127.0.0.5' })).status, 200, 'ping is not limited');
});

t.test('rate limit keyed by the client behind a trusted proxy; configurable and can be disabled', async (t) => {
  const hs = await startHostSecrets(t, { ...dns, GATEWAY_TRUSTED_PROXIES: '127.0.0.20', GATEWAY_HOST_SECRETS_RATE_LIMIT: '2' });
  const via = (xff: string) => get(`${hs.url}/v1/credentials`, { localAddress: '127.0.0.20', headers: { 'x-forwarded-for': xff } });
  t.same([(await via('127.0.0.5')).status, (await via('127.0.0.5')).status, (await via('127.0.0.5')).status], [200, 200, 429]);
  t.equal((await via('127.0.0.21')).status, 200, 'another client through the same proxy');
  const unlimited = await startHostSecrets(t, { ...dns, GATEWAY_HOST_SECRETS_RATE_LIMIT: '0' });
  for (let i = 0; i < 8; i++) t.equal((await get(`${unlimited.url}/v1/credentials`, { localAddress: '127.0.0.5' })).status, 200);
});

t.test('HEAD mints nothing', async (t) => {
  const hs = await startHostSecrets(t, dns);
  const head = await get(`${hs.url}/v1/credentials`, { localAddress: '127.0.0.5', method: 'HEAD' });
  t.equal(head.status, 404);
  t.notOk(hs.logs.some((l) => l.audit), 'no credentials issued');
});

t.test('ping answers as the original API did', async (t) => {
  const hs = await startHostSecrets(t, dns);
  const ping = await get(`${hs.url}/v1/ping`);
  t.equal(ping.status, 200);
  t.equal(ping.body.alive, true);
  t.type(ping.body.uptime, 'number');
});
