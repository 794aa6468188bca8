// Forward-confirmed reverse DNS over the wire: a real DNS server on loopback, requests from
// chosen loopback source addresses, every refusal a 403 IPNotAllowed naming the failed check.
import t from 'tap';
import { get, startHostSecrets, validate, scopeBase, clientIdBase, issuer } from './harness.js';
import { ptrName, startSilentServer, startZoneServer } from './zone-server.js';

const zone = await startZoneServer({
  PTR: {
    [ptrName('127.0.0.5')]: ['a.test.example.com'],
    [ptrName('::1')]: ['six.test.example.com'],
    [ptrName('127.0.0.7')]: ['one.test.example.com', 'two.test.example.com'],
    [ptrName('127.0.0.8')]: ['elsewhere.test.example.com'],
    [ptrName('127.0.0.9')]: ['bad_name.test.example.com'],
    [ptrName('127.0.0.10')]: ['multi.test.example.com'],
    [ptrName('127.0.0.11')]: ['Upper.Test.Example.COM'],
    [ptrName('127.0.0.12')]: ['outside.test.example.com'],
    [ptrName('127.0.0.13')]: ['noaddress.test.example.com'],
  },
  A: {
    'a.test.example.com': ['127.0.0.5'],
    'elsewhere.test.example.com': ['127.0.0.99'],
    'bad_name.test.example.com': ['127.0.0.9'],
    'multi.test.example.com': ['127.0.0.10', '127.0.0.14'],
    'upper.test.example.com': ['127.0.0.11'],
    'outside.test.example.com': ['127.0.0.12'],
  },
  AAAA: { 'six.test.example.com': ['::1'], 'noaddress.test.example.com': ['::1'] },
});
t.teardown(() => zone.close());

const hs = await startHostSecrets(t, { GATEWAY_DNS_SERVERS: zone.server, TASKCLUSTER_ALLOWED_IPS: '127.0.0.0/29, 127.0.0.8/29 ::1' });
const credentialsFrom = (localAddress: string, url = hs.url) => get(`${url}/v1/credentials`, { localAddress });

t.test('a host proven by forward-confirmed reverse DNS gets credentials for exactly itself', async (t) => {
  const started = Date.now();
  const answer = await credentialsFrom('127.0.0.5');
  t.equal(answer.status, 200);
  t.same(Object.keys(answer.body), ['credentials']);
  const { clientId, accessToken, certificate } = answer.body.credentials;
  t.equal(clientId, `${clientIdBase}com.example.test.a`, 'clientId: base + reversed host name');
  t.type(certificate, 'string', 'certificate is a JSON string');
  const cert = JSON.parse(certificate);
  t.same(cert.scopes, [`${scopeBase}com.example.test.a`], 'exactly one scope');
  t.equal(cert.issuer, issuer.clientId, 'named temporary credentials signed by the permanent client');
  t.ok(Math.abs(cert.expiry - cert.start - 24 * 3600 * 1000) < 1000 && cert.start >= started - 1000, 'lasts the default 1 day from now');
  const resolved = await validate({ clientId, accessToken, certificate });
  t.equal(resolved.key, accessToken, 'the auth service derives the same key');
  t.same([...resolved.scopes].sort(), ['assume:anonymous', `${scopeBase}com.example.test.a`]);

  const audit = hs.logs.find((l) => l.audit === 'host-credentials-issued' && l.ip === '127.0.0.5');
  t.match(audit, { ip: '127.0.0.5', host: 'a.test.example.com', clientId, expires: new Date(cert.expiry).toISOString() }, 'audit line');
  t.equal(hs.logs.filter((l) => l.ip === '127.0.0.5' || l.req?.remoteAddress?.endsWith('127.0.0.5')).length, 1, 'one log line for the request: the audit line');
  const everything = JSON.stringify(hs.logs);
  t.notOk(everything.includes(accessToken), 'the token is never logged');
  t.notOk(everything.includes(cert.signature), 'the signature is never logged');
});

t.test('an IPv6 host (::1) is checked with AAAA records', async (t) => {
  const answer = await credentialsFrom('::1', hs.url6);
  t.equal(answer.status, 200);
  t.equal(answer.body.credentials.clientId, `${clientIdBase}com.example.test.six`);
});

t.test('names are compared and issued in lower case', async (t) => {
  const answer = await credentialsFrom('127.0.0.11');
  t.equal(answer.status, 200);
  t.equal(answer.body.credentials.clientId, `${clientIdBase}com.example.test.upper`);
});

const refusals: Array<[string, string, RegExp]> = [
  ['no PTR record', '127.0.0.6', /^Remote IP not allowed: no PTR record for 127\.0\.0\.6$/],
  ['two PTR records', '127.0.0.7', /2 PTR records for 127\.0\.0\.7; exactly one/],
  ['a PTR name resolving elsewhere', '127.0.0.8', /A records of elsewhere\.test\.example\.com are \[127\.0\.0\.99\], not exactly 127\.0\.0\.8/],
  ['a name with characters other than letters, digits, - and .', '127.0.0.9', /PTR name "bad_name\.test\.example\.com" has characters/],
  ['a name with several A records (exact match required)', '127.0.0.10', /\[127\.0\.0\.10, 127\.0\.0\.14\], not exactly 127\.0\.0\.10/],
  ['a name without a record of the address family', '127.0.0.13', /noaddress\.test\.example\.com \(PTR of 127\.0\.0\.13\) has no A record/],
  ['an address outside the allow-list', '127.0.0.20', /127\.0\.0\.20 is not in the allowed addresses/],
];
for (const [what, ip, message] of refusals) {
  t.test(`refused: ${what}`, async (t) => {
    const answer = await credentialsFrom(ip);
    t.equal(answer.status, 403);
    t.match(answer.body, { code: 'IPNotAllowed', message });
    t.ok(hs.logs.some((l) => l.ip === ip && message.test(`Remote IP not allowed: ${l.reason}`)), 'a log line with the address and the reason');
    t.notOk(hs.logs.some((l) => l.audit && l.ip === ip), 'nothing issued');
  });
}

t.test('the allow-list is checked before any DNS query', async (t) => {
  const outside = await startHostSecrets(t, { GATEWAY_DNS_SERVERS: zone.server, TASKCLUSTER_ALLOWED_IPS: '127.0.0.5' });
  const answer = await get(`${outside.url}/v1/credentials`, { localAddress: '127.0.0.12' });
  t.match(answer, { status: 403, body: { code: 'IPNotAllowed', message: /not in the allowed addresses/ } });
  t.notOk(zone.queries.includes(`PTR ${ptrName('127.0.0.12')}`), 'no PTR look-up for a refused address');
});

t.test('forwardMatch among: the address may be one of several records', async (t) => {
  const among = await startHostSecrets(t, { GATEWAY_DNS_SERVERS: zone.server, GATEWAY_DNS_FORWARD_MATCH: 'among' });
  const answer = await get(`${among.url}/v1/credentials`, { localAddress: '127.0.0.10' });
  t.equal(answer.status, 200);
  t.equal(answer.body.credentials.clientId, `${clientIdBase}com.example.test.multi`);
  const mismatch = await get(`${among.url}/v1/credentials`, { localAddress: '127.0.0.8' });
  t.match(mismatch.body, { code: 'IPNotAllowed', message: /not 127\.0\.0\.8 among them/ });
});

t.test('a DNS server that never answers: 403 at the deadline, no hang', async (t) => {
  const silent = await startSilentServer();
  t.teardown(() => silent.close());
  const timed = await startHostSecrets(t, { GATEWAY_DNS_SERVERS: silent.server, GATEWAY_DNS_TIMEOUT_MS: '300' });
  const started = Date.now();
  const answer = await get(`${timed.url}/v1/credentials`, { localAddress: '127.0.0.5' });
  const took = Date.now() - started;
  t.match(answer, { status: 403, body: { code: 'IPNotAllowed', message: /DNS look-ups did not answer within 300 ms/ } });
  t.ok(took >= 290 && took < 1500, `answered at the deadline (${took} ms)`);
});

t.test('a DNS server that is down (port closed): 403 quickly', async (t) => {
  const gone = await startSilentServer();
  await gone.close();
  const down = await startHostSecrets(t, { GATEWAY_DNS_SERVERS: gone.server });
  const started = Date.now();
  const answer = await get(`${down.url}/v1/credentials`, { localAddress: '127.0.0.5' });
  const took = Date.now() - started;
  t.match(answer, { status: 403, body: { code: 'IPNotAllowed', message: /PTR look-up of 127\.0\.0\.5 failed: ECONNREFUSED/ } });
  t.ok(took < 2500, `answered within the 2 s default deadline (${took} ms)`);
});
