// Bad input answered with Taskcluster's JSON errors, and the Hawk checks a client library
// does not exercise: replayed headers and payload hashes.
import hawk from 'hawk';
import type { Test } from 'tap';
import type { StoreBackend } from './store/backend.js';
import { clients, startGateway } from './gateway.js';

interface SignedRequest {
  method?: string;
  body?: string;
  contentType?: string;
  /** Sign a hash of this payload (default: no payload hash, as taskcluster-client). */
  hashOf?: string;
  authorization?: string;
  /** Who signs (default root). */
  credentials?: { clientId: string; accessToken: string };
}

export function signedHeader(url: string, method: string, hashOf?: string, contentType = 'application/json', signer: { clientId: string; accessToken: string } = clients.root): string {
  const credentials = { id: signer.clientId, key: signer.accessToken, algorithm: 'sha256' as const };
  return hawk.client.header(url, method, { credentials, ...(hashOf !== undefined ? { payload: hashOf, contentType } : {}) }).header;
}

export async function signedFetch(url: string, request: SignedRequest = {}): Promise<{ status: number; body: Record<string, any> }> {
  const method = request.method ?? 'GET';
  const contentType = request.contentType ?? 'application/json';
  const res = await fetch(url, {
    method,
    headers: { authorization: request.authorization ?? signedHeader(url, method, request.hashOf, contentType, request.credentials), ...(request.body !== undefined ? { 'content-type': contentType } : {}) },
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const expires = () => new Date(Date.now() + 60 * 60 * 1000).toJSON();

export function inputTests(t: Test, backend: StoreBackend): void {
  t.test('bad bodies, names and queries: Taskcluster JSON errors, values never echoed', async (t) => {
    const gw = await startGateway(t, await backend.fresh(t));
    const secret = (name: string) => `${gw.rootUrl}/api/secrets/v1/secret/${name}`;
    const malformed = await signedFetch(secret('x'), { method: 'PUT', body: '{"secret": {"password": "s3cr3t-value"}, oops' });
    t.equal(malformed.status, 400);
    t.equal(malformed.body.code, 'MalformedPayload');
    t.notMatch(JSON.stringify(malformed.body), 's3cr3t-value', 'the body is not echoed');
    const cases: Array<[string, unknown, RegExp]> = [
      ['missing expires', { secret: { a: 1 } }, /expires/],
      ['missing secret', { expires: expires() }, /secret/],
      ['extra field', { secret: {}, expires: expires(), other: 1 }, /additional/],
      ['secret not an object', { secret: 's3cr3t-value', expires: expires() }, /object/],
      ['expires not a date', { secret: {}, expires: 'tomorrow' }, /date-time/],
      // Taskcluster's ajv-formats refuses dates that do not exist; Date.parse rolled them over
      // (2030-02-30 was stored as 2030-03-02, 24:00 as the next day)
      ['expires on February 30th', { secret: {}, expires: '2030-02-30T00:00:00Z' }, /date-time/],
      ['expires on April 31st', { secret: {}, expires: '2030-04-31T00:00:00Z' }, /date-time/],
      ['expires on February 29th of a common year', { secret: {}, expires: '2031-02-29T00:00:00Z' }, /date-time/],
      ['expires at hour 24', { secret: {}, expires: '2030-01-01T24:00:00Z' }, /date-time/],
      ['expires with an offset of 24 hours', { secret: {}, expires: '2030-01-01T00:00:00+24:00' }, /date-time/],
    ];
    for (const [name, body, message] of cases) {
      const res = await signedFetch(secret('x'), { method: 'PUT', body: JSON.stringify(body) });
      t.equal(res.status, 400, name);
      t.equal(res.body.code, 'InputValidationError', name);
      t.match(res.body.message, message, name);
      t.notMatch(JSON.stringify(res.body), 's3cr3t-value', `${name}: requestInfo omits the secret`);
    }
    const leapDay = await signedFetch(secret('leap'), { method: 'PUT', body: JSON.stringify({ secret: {}, expires: '2032-02-29T23:59:59+01:00' }) });
    t.equal(leapDay.status, 200, 'a leap day and an offset are taken');
    t.equal((await signedFetch(secret('leap'))).body.expires, '2032-02-29T22:59:59.000Z', 'and stored as the instant written');
    const omitted = await signedFetch(secret('x'), { method: 'PUT', body: JSON.stringify({ secret: { password: 's3cr3t-value' }, expires: 'never' }) });
    t.equal(omitted.body.requestInfo.payload.secret, '(OMITTED)');
    t.equal((await signedFetch(secret(''))).status, 400, 'empty name');
    const nonAscii = await signedFetch(secret('caf%C3%A9'));
    t.equal(nonAscii.status, 400, 'a name that cannot be a scope');
    t.equal(nonAscii.body.code, 'InputError');
    const list = `${gw.rootUrl}/api/secrets/v1/secrets`;
    t.equal((await signedFetch(`${list}?limit=abc`)).status, 400);
    t.equal((await signedFetch(`${list}?limit=0`)).status, 400);
    t.equal((await signedFetch(`${list}?other=1`)).body.code, 'InputValidationError', 'unknown query parameter');
    t.equal((await signedFetch(`${list}?continuationToken=garbage`)).body.code, 'InputError');
    const wrongType = await signedFetch(secret('x'), { method: 'PUT', body: 'secret=1', contentType: 'text/plain' });
    t.equal(wrongType.status, 400, 'not JSON');
    const big = (bytes: number) => JSON.stringify({ secret: { blob: 'x'.repeat(bytes) }, expires: expires() });
    t.equal((await signedFetch(secret('big'), { method: 'PUT', body: big(2 * 1024 * 1024) })).status, 200, 'a 2 MiB secret, as the real service takes (10 MB limit)');
    const tooBig = await signedFetch(secret('big'), { method: 'PUT', body: big(10 * 1024 * 1024) });
    t.same([tooBig.status, tooBig.body.code], [413, 'PayloadTooLarge'], 'beyond 10 MB');
    const unknown = await signedFetch(`${gw.rootUrl}/api/secrets/v1/nothing`);
    t.same([unknown.status, unknown.body.code], [404, 'ResourceNotFound']);
  });

  t.test('Hawk: a replayed header is refused; a payload hash, when sent, must match', async (t) => {
    const gw = await startGateway(t, await backend.fresh(t));
    const url = `${gw.rootUrl}/api/secrets/v1/secret/hashed`;
    const body = JSON.stringify({ secret: { v: 1 }, expires: expires() });
    t.equal((await signedFetch(url, { method: 'PUT', body, hashOf: body })).status, 200, 'matching payload hash');
    const wrong = await signedFetch(url, { method: 'PUT', body, hashOf: body.replace('1', '2') });
    t.same([wrong.status, wrong.body.code], [401, 'AuthenticationFailed']);
    const header = signedHeader(url, 'GET');
    t.equal((await signedFetch(url, { authorization: header })).status, 200);
    const replay = await signedFetch(url, { authorization: header });
    t.equal(replay.status, 401, 'same nonce again');
  });
}
