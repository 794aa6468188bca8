// Every URL the gateway builds from what the client says it addressed (the references' rootUrl,
// FORCE_SSL's redirect) and the host a Hawk MAC covers: Host, or X-Forwarded-Host/-Proto/-Port
// from a trusted proxy only, its last entry (the proxy's own). A scheme other than http(s) or a
// host that is no host[:port] is refused (400 InputError), never written into an answer; a
// request naming no host gets the listener's own address. Over real listeners, from chosen
// loopback source addresses: 127.0.0.20 is the trusted proxy, 127.0.0.21 any other peer.
import { join } from 'node:path';
import hawk from 'hawk';
import t from 'tap';
import { loggedGateway } from '../plugins/secrets/configured-gateway.js';
import { clients } from '../plugins/secrets/gateway.js';
import { assertErrorBody } from '../helpers/error-body.js';
import { get } from '../helpers/http.js';
import { rawJsonExchange, rawRequest } from '../helpers/raw-request.js';
import { startHostSecrets } from '../plugins/host-secrets/harness.js';
import { ptrName, startZoneServer } from '../plugins/host-secrets/zone-server.js';

const TRUSTED = '127.0.0.20';
const OTHER = '127.0.0.21';

/** The three reference routes, each of which writes the rootUrl into its answer, with their params. */
const REFERENCE_PARAMS: Record<string, Record<string, string>> = {
  '/references/manifest.json': {},
  '/references/secrets/v1/api.json': { service: 'secrets', version: 'v1' },
  '/schemas/secrets/v1/set-request.json': { service: 'secrets', version: 'v1', file: 'set-request.json' },
};
const REFERENCES = Object.keys(REFERENCE_PARAMS);

/** The rootUrl a reference answer was built with (each carries it in `$schema` or `$id`). */
function rootUrlOf(body: any): string {
  const url: string = body.$id ?? body.$schema;
  return url.slice(0, url.indexOf('/schemas/'));
}

const gatewayDir = t.testdir();
// no load shedding: a machine busy with other tests would answer 503 in place of the answers under test
const { url } = await loggedGateway(t, gatewayDir, `sqlite:${join(gatewayDir, 'secrets.db')}`, ['--trusted-proxies', TRUSTED, '--max-event-loop-delay-ms', '0']);
const port = Number(new URL(url).port);

/** Hosts no URL may be built from, each what an attacker would send. */
const HOSTILE_HOSTS = [
  'evil.example/x?', 'evil.example/', 'evil.example?', 'evil.example#', 'user@evil.example', 'user:pw@evil.example',
  'evil.example:99999', 'evil.example:0', 'evil.example:80:80', 'evil example', 'evil.example"}', '"evil.example"',
  'evil\\example', '[::1', '[zz::1]', '999.1.1.1', '%65vil.example', 'évil.example', `${'a'.repeat(260)}.example`,
  'javascript:alert(1)', '-evil.example', '.evil.example', '\tevil.example\t,x',
];

t.test('references: the rootUrl is the Host the client addressed', async (t) => {
  for (const path of REFERENCES) {
    const answer = await get(`${url}${path}`);
    t.equal(answer.status, 200, path);
    t.equal(rootUrlOf(answer.body), url, `${path}: the listener as reached`);
    const named = await get(`${url}${path}`, { headers: { host: 'Gateway.Example.COM:8443' } });
    t.equal(rootUrlOf(named.body), 'http://gateway.example.com:8443', `${path}: another name for it, in normal form`);
    const ipv6 = await get(`${url}${path}`, { headers: { host: '[0:0::1]:80' } });
    t.equal(rootUrlOf(ipv6.body), 'http://[::1]', `${path}: an IPv6 literal, default port dropped`);
    t.equal(named.headers.vary, 'Host, X-Forwarded-Host, X-Forwarded-Proto, X-Forwarded-Port', `${path}: a shared cache keys its copies on the headers that named the rootUrl`);
  }
});

t.test('settings: a public URL must be an http(s) origin and nothing more; a start refuses anything else', async (t) => {
  const refusals: Array<[string, RegExp]> = [
    ['ftp://secrets.example.com', /expected an http:\/\/ or https:\/\/ URL/],
    ['secrets.example.com', /expected an http:\/\/ or https:\/\/ URL/],
    ['https://user:hunter2@secrets.example.com', /expected an origin only/],
    ['https://secrets.example.com/api', /expected an origin only/],
    ['https://secrets.example.com/?', /expected an origin only/],
    ['https://secrets.example.com#x', /expected an origin only/],
    ['https://[zz::1]', /expected an http:\/\/ or https:\/\/ URL/],
  ];
  for (const [publicUrl, message] of refusals) {
    const dir = t.testdir();
    const err = await loggedGateway(t, dir, `sqlite:${join(dir, 'secrets.db')}`, ['--public-url', publicUrl]).catch((e: Error) => e);
    t.match(err, { name: 'ConfigError', message: /^setting publicUrl \(--public-url \/ GATEWAY_PUBLIC_URL\): / }, publicUrl);
    t.match((err as Error).message, message, publicUrl);
    t.notMatch((err as Error).message, /hunter2/, 'a password in it is never echoed');
  }
});

t.test('references: a configured public URL is the rootUrl, whatever the request names', async (t) => {
  const dir = t.testdir();
  const configured = await loggedGateway(t, dir, `sqlite:${join(dir, 'secrets.db')}`, ['--public-url', 'https://Secrets.Example.com/', '--trusted-proxies', TRUSTED]);
  for (const path of REFERENCES) {
    for (const headers of [{}, { host: 'evil.example' }, { host: 'evil.example/x?' }] as Array<Record<string, string>>) {
      const answer = await get(`${configured.url}${path}`, { headers });
      t.equal(answer.status, 200, `${path} ${JSON.stringify(headers)}`);
      t.equal(rootUrlOf(answer.body), 'https://secrets.example.com', `${path} ${JSON.stringify(headers)}: the configured origin`);
      t.notOk(answer.headers.vary, 'the answer does not vary with the request');
    }
    const viaProxy = await get(`${configured.url}${path}`, { localAddress: TRUSTED, headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' } });
    t.equal(rootUrlOf(viaProxy.body), 'https://secrets.example.com', `${path}: not even a trusted proxy's X-Forwarded-* overrides it`);
  }
});

t.test('references: a Host that is no host[:port] is refused, never written into the answer', async (t) => {
  for (const path of REFERENCES) {
    for (const host of HOSTILE_HOSTS) {
      const answer = await get(`${url}${path}`, { headers: { host } });
      t.equal(answer.status, 400, `${path} Host ${JSON.stringify(host)}`);
      assertErrorBody(t, answer.body, { code: 'InputError', message: 'The Host header is not a valid host[:port]', method: 'GET', params: REFERENCE_PARAMS[path] }, `${path} Host ${JSON.stringify(host)}`);
      t.notMatch(JSON.stringify(answer.body), 'evil', 'the host is not echoed');
    }
  }
});

t.test('references: what the HTTP parser refuses (a CR in Host, an overlong head) never reaches a route', async (t) => {
  const cr = await rawJsonExchange(port, 'GET /references/manifest.json HTTP/1.1\r\nHost: evil.example\rX: y\r\nConnection: close\r\n\r\n');
  t.equal(cr.status, 400);
  t.match(cr.body, { code: 'InputError', message: /^Malformed HTTP request/ });
  const overlong = await rawJsonExchange(port, `GET /references/manifest.json HTTP/1.1\r\nHost: ${'a'.repeat(20_000)}.example\r\nConnection: close\r\n\r\n`);
  t.equal(overlong.status, 431);
  t.equal(overlong.body.code, 'RequestHeaderFieldsTooLarge');
});

t.test('references: a request naming no host (HTTP/1.0) gets the listener\'s own address', async (t) => {
  const answer = await rawJsonExchange(port, 'GET /references/manifest.json HTTP/1.0\r\n\r\n');
  t.equal(answer.status, 200);
  t.equal(answer.body.$schema, `${url}/schemas/common/manifest-v3.json#`);
});

t.test('references: X-Forwarded-* from a trusted proxy only, its last entry, http(s) only', async (t) => {
  const forwarded = { 'x-forwarded-host': 'evil.example, gateway.example.com', 'x-forwarded-proto': 'javascript, https' };
  const other = await get(`${url}/references/manifest.json`, { localAddress: OTHER, headers: forwarded });
  t.equal(rootUrlOf(other.body), url, 'another peer\'s X-Forwarded-* are ignored');
  const viaProxy = await get(`${url}/references/manifest.json`, { localAddress: TRUSTED, headers: forwarded });
  t.equal(rootUrlOf(viaProxy.body), 'https://gateway.example.com', 'the proxy\'s own entries, not the ones the client wrote before them');
  const withPort = await get(`${url}/references/manifest.json`, { localAddress: TRUSTED, headers: { ...forwarded, 'x-forwarded-port': '8443' } });
  t.equal(rootUrlOf(withPort.body), 'https://gateway.example.com:8443', 'X-Forwarded-Port, as the Hawk MAC reads it too');

  for (const proto of ['javascript', 'https, javascript', 'file', 'http:', 'https://x', '']) {
    const answer = await get(`${url}/references/manifest.json`, { localAddress: TRUSTED, headers: { 'x-forwarded-proto': proto } });
    if (proto === '') {
      t.equal(rootUrlOf(answer.body), url, 'an empty X-Forwarded-Proto names nothing: the socket\'s scheme');
      continue;
    }
    t.equal(answer.status, 400, `X-Forwarded-Proto ${JSON.stringify(proto)}`);
    assertErrorBody(t, answer.body, { code: 'InputError', message: 'X-Forwarded-Proto must be http or https', method: 'GET' }, `X-Forwarded-Proto ${JSON.stringify(proto)}`);
  }
  for (const host of HOSTILE_HOSTS.filter((h) => !h.includes(','))) {
    const answer = await get(`${url}/references/manifest.json`, { localAddress: TRUSTED, headers: { 'x-forwarded-host': host } });
    t.equal(answer.status, 400, `X-Forwarded-Host ${JSON.stringify(host)}`);
    t.equal(answer.body.message, 'The X-Forwarded-Host header is not a valid host[:port]');
  }
  for (const forwardedPort of ['0', '65536', 'x', '443/x', '-1']) {
    const answer = await get(`${url}/references/manifest.json`, { localAddress: TRUSTED, headers: { 'x-forwarded-host': 'gateway.example.com', 'x-forwarded-port': forwardedPort } });
    t.equal(answer.status, 400, `X-Forwarded-Port ${JSON.stringify(forwardedPort)}`);
    t.equal(answer.body.message, 'X-Forwarded-Port must be a port number (1-65535)');
  }
});

t.test('Hawk: the host the MAC covers is a trusted proxy\'s last X-Forwarded-Host; its scheme http(s) only', async (t) => {
  const credentials = { id: clients.root.clientId, key: clients.root.accessToken, algorithm: 'sha256' as const };
  const resource = '/api/secrets/v1/secrets';
  const signedFor = (origin: string) => hawk.client.header(`${origin}${resource}`, 'GET', { credentials }).header;
  const forwarded = { 'x-forwarded-host': 'evil.example, gateway.example.com', 'x-forwarded-proto': 'https' };
  const asProxy = await get(`${url}${resource}`, { localAddress: TRUSTED, headers: { ...forwarded, authorization: signedFor('https://gateway.example.com') } });
  t.equal(asProxy.status, 200, 'signed for the host the proxy names');
  const asClient = await get(`${url}${resource}`, { localAddress: TRUSTED, headers: { ...forwarded, authorization: signedFor('https://evil.example') } });
  t.equal(asClient.status, 401, 'signed for the host the client wrote before it');
  t.match(asClient.body, { code: 'AuthenticationFailed', message: 'Bad mac' });
  const badScheme = await get(`${url}${resource}`, { localAddress: TRUSTED, headers: { 'x-forwarded-proto': 'javascript', authorization: signedFor(url) } });
  t.equal(badScheme.status, 400);
  assertErrorBody(t, badScheme.body, { code: 'InputError', message: 'X-Forwarded-Proto must be http or https', method: 'GET' });
  const other = await get(`${url}${resource}`, { localAddress: OTHER, headers: { ...forwarded, authorization: signedFor(url) } });
  t.equal(other.status, 200, 'another peer\'s X-Forwarded-* are ignored: the Host counts');
  const withPort = await get(`${url}${resource}`, { localAddress: TRUSTED, headers: { ...forwarded, 'x-forwarded-port': '8443', authorization: signedFor('https://gateway.example.com:8443') } });
  t.equal(withPort.status, 200, 'the port the MAC covers is the trusted proxy\'s X-Forwarded-Port');
  for (const forwardedPort of ['0', '65536', 'x', '443/x', '-1']) {
    const answer = await get(`${url}${resource}`, { localAddress: TRUSTED, headers: { ...forwarded, 'x-forwarded-port': forwardedPort, authorization: signedFor('https://gateway.example.com') } });
    t.equal(answer.status, 400, `X-Forwarded-Port ${JSON.stringify(forwardedPort)}: refused as the references refuse it, not a Bad mac`);
    assertErrorBody(t, answer.body, { code: 'InputError', message: 'X-Forwarded-Port must be a port number (1-65535)', method: 'GET' }, `X-Forwarded-Port ${JSON.stringify(forwardedPort)}`);
  }
});

t.test('FORCE_SSL: the redirect goes to a valid host only; X-Forwarded-* from the trusted proxies only', async (t) => {
  const zone = await startZoneServer({ PTR: { [ptrName('127.0.0.5')]: ['a.test.example.com'] }, A: { 'a.test.example.com': ['127.0.0.5'] } });
  t.teardown(() => zone.close());
  const hs = await startHostSecrets(t, { GATEWAY_DNS_SERVERS: zone.server, FORCE_SSL: 'true', TRUST_PROXY: 'true', GATEWAY_TRUSTED_PROXIES: TRUSTED });
  const credentialsUrl = `${hs.url}/v1/credentials?x=1`;

  const named = await get(credentialsUrl, { localAddress: '127.0.0.5', headers: { host: 'hosts.example.com' } });
  t.equal(named.status, 301);
  t.equal(named.headers.location, 'https://hosts.example.com/v1/credentials?x=1', 'to the host the client addressed');
  t.equal(named.headers.vary, 'Host, X-Forwarded-Host, X-Forwarded-Proto, X-Forwarded-Port', 'a shared cache keys the redirect on the headers that named its host');
  for (const host of HOSTILE_HOSTS) {
    const answer = await get(credentialsUrl, { localAddress: '127.0.0.5', headers: { host } });
    t.equal(answer.status, 400, `Host ${JSON.stringify(host)}`);
    t.notOk(answer.headers.location, 'no redirect');
    assertErrorBody(t, answer.body, { code: 'InputError', message: 'The Host header is not a valid host[:port]', method: 'GET' }, `Host ${JSON.stringify(host)}`);
  }

  const viaProxy = await get(credentialsUrl, { localAddress: TRUSTED, headers: { 'x-forwarded-host': 'evil.example, hosts.example.com' } });
  t.equal(viaProxy.headers.location, 'https://hosts.example.com/v1/credentials?x=1', 'the trusted proxy\'s own X-Forwarded-Host');
  const forgedHost = await get(credentialsUrl, { localAddress: '127.0.0.5', headers: { host: 'hosts.example.com', 'x-forwarded-host': 'evil.example' } });
  t.equal(forgedHost.headers.location, 'https://hosts.example.com/v1/credentials?x=1', 'another peer\'s X-Forwarded-Host is ignored');
  const forgedScheme = await get(credentialsUrl, { localAddress: '127.0.0.5', headers: { 'x-forwarded-proto': 'https' } });
  t.equal(forgedScheme.status, 301, 'with trusted proxies named, another peer\'s X-Forwarded-Proto is not believed');
  const post = await get(credentialsUrl, { localAddress: '127.0.0.5', method: 'POST', headers: { 'x-forwarded-proto': 'https' } });
  t.equal(post.status, 403, 'nor lets a plain POST through');

  // the request target's own path only: an absolute-form target names no host to go to
  for (const target of ['http://evil.example/v1/credentials?x=1', 'https://evil.example:8443/v1/credentials?x=1']) {
    const answer = await rawRequest(hs.url, `GET ${target} HTTP/1.1\r\nHost: hosts.example.com\r\nConnection: close\r\n\r\n`);
    t.match(answer, /^HTTP\/1\.1 301 /, target);
    t.equal(/\r\nlocation: ([^\r]*)/i.exec(answer)?.[1], 'https://hosts.example.com/v1/credentials?x=1', `${target}: to the host addressed, the target's path`);
  }
});

t.test('FORCE_SSL with a configured public URL: the redirect goes there, whatever the request names', async (t) => {
  const zone = await startZoneServer({ PTR: {}, A: {} });
  t.teardown(() => zone.close());
  const hs = await startHostSecrets(t, { GATEWAY_DNS_SERVERS: zone.server, FORCE_SSL: 'true', GATEWAY_PUBLIC_URL: 'http://hosts.example.com:8443' });
  for (const headers of [{ host: 'evil.example' }, { host: 'evil.example/x?' }, {} as Record<string, string>]) {
    const answer = await get(`${hs.url}/v1/credentials?x=1`, { localAddress: '127.0.0.5', headers });
    t.equal(answer.status, 301, JSON.stringify(headers));
    t.equal(answer.headers.location, 'https://hosts.example.com:8443/v1/credentials?x=1', `${JSON.stringify(headers)}: the configured origin, over https`);
    t.notOk(answer.headers.vary, 'the redirect does not vary with the request');
  }
  const noHost = await rawRequest(hs.url, 'GET /v1/credentials HTTP/1.0\r\n\r\n');
  t.equal(/\r\nlocation: ([^\r]*)/i.exec(noHost)?.[1], 'https://hosts.example.com:8443/v1/credentials', 'a request naming no host is redirected there too');
});
