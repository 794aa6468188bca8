// Retries (corrections.md): connection errors, 5xx and 429, with backoff; small bodies buffered,
// replayed and re-signed each attempt; large bodies stream once and are never retried.
import t from 'tap';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { DEFAULT_RETRY, retryableError, retryableStatus, retryDelay } from '../../../src/plugins/proxy/retry.js';
import { startFakeTaskcluster } from '../../helpers/fake-taskcluster.js';
import { clients, permanent, startGateway } from './gateway.js';

t.test('backoff: 0.5 s initial, x1.5, ±50 % jitter, 60 s cap, 15 minutes in all', async (t) => {
  t.equal(retryDelay(DEFAULT_RETRY, 0, 0, () => 0.5), 500);
  t.equal(retryDelay(DEFAULT_RETRY, 1, 0, () => 0.5), 750);
  t.equal(retryDelay(DEFAULT_RETRY, 0, 0, () => 0), 250, 'jitter down to half');
  t.equal(retryDelay(DEFAULT_RETRY, 0, 0, () => 1), 750, 'and up to one and a half');
  t.equal(retryDelay(DEFAULT_RETRY, 30, 0, () => 0.5), 60_000, 'capped');
  t.equal(retryDelay(DEFAULT_RETRY, 3, 15 * 60_000 - 100, () => 0.5), undefined, 'no retry past 15 minutes');
  t.ok(retryableStatus(500) && retryableStatus(503) && retryableStatus(429));
  t.notOk(retryableStatus(404) || retryableStatus(400) || retryableStatus(303) || retryableStatus(200));
  t.ok(retryableError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })));
  t.notOk(retryableError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' })), 'a timeout is not retried');
  t.notOk(retryableError(new Error('plain')));
});

t.test('retries through the proxy', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker), proxy: { bufferLimit: 1024 } });
  t.teardown(() => gw.close());

  t.test('5xx and 429 are retried, each attempt signed afresh, the small body replayed', async (t) => {
    tc.route({ path: '/api/queue/v1/flaky', status: 503, times: 1 });
    tc.route({ path: '/api/queue/v1/flaky', status: 429, times: 1 });
    const before = tc.requests.length;
    const res = await fetch(`${gw.url}/queue/v1/flaky`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    t.equal(res.status, 200);
    const attempts = tc.requests.slice(before);
    t.equal(attempts.length, 3, 'two failures, then the answer');
    t.same(attempts.map((a) => a.body), ['{"a":1}', '{"a":1}', '{"a":1}'], 'the body replayed');
    t.same(attempts.map((a) => a.clientId), Array(3).fill(clients.worker.clientId), 'every attempt authenticated');
    t.equal(new Set(attempts.map((a) => a.headers.authorization)).size, 3, 'each attempt signed anew');
  });

  t.test('a retry is logged as a warning naming its request', async (t) => {
    const logLines: Array<Record<string, unknown>> = [];
    const logged = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker), logLines });
    t.teardown(() => logged.close());
    tc.route({ path: '/api/queue/v1/logged', status: 503, times: 1 });
    t.equal((await fetch(`${logged.url}/queue/v1/logged`)).status, 200);
    const retry = logLines.find((l) => l.msg === 'upstream answered with a retryable status; retrying');
    t.match(retry, { level: 40, reqId: String, statusCode: 503, retry: 1 }, 'the warning carries the request id');
    t.notOk(logLines.some((l) => l.msg === 'request completed'), 'proxied requests have no info line by default');
  });

  t.test('4xx is answered at once', async (t) => {
    tc.route({ path: '/api/queue/v1/bad', status: 400, body: { code: 'InputError', message: 'no' }, times: 1 });
    const before = tc.requests.length;
    const res = await fetch(`${gw.url}/queue/v1/bad`);
    t.equal(res.status, 400);
    t.same(await res.json(), { code: 'InputError', message: 'no' });
    t.equal(tc.requests.length - before, 1);
  });

  t.test('a 5xx that lasts is passed back as the upstream sent it', async (t) => {
    tc.route({ path: '/api/queue/v1/down', status: 500, body: 'broken' });
    const before = tc.requests.length;
    const res = await fetch(`${gw.url}/queue/v1/down`);
    t.equal(res.status, 500);
    t.equal(await res.text(), 'broken');
    t.ok(tc.requests.length - before > 2, `retried ${tc.requests.length - before - 1} times first`);
  });

  t.test('a body beyond the buffer limit streams once and is never retried', async (t) => {
    tc.route({ path: '/api/queue/v1/big', status: 503, times: 1 });
    const body = Buffer.alloc(4096, 'x');
    const before = tc.requests.length;
    const declared = await fetch(`${gw.url}/queue/v1/big`, { method: 'PUT', body });
    t.equal(declared.status, 503, 'the failure is the answer: the body is gone');
    t.equal(tc.requests.length - before, 1);
    t.equal(tc.requests.at(-1)!.bodyLength, 4096);

    // chunked: no length announced, the limit is found while reading, the read part is not lost
    const chunks = Array.from({ length: 8 }, (_, i) => Buffer.alloc(700, String(i)));
    const res = await request(`${gw.url}/queue/v1/chunked`, { method: 'PUT', body: Readable.from(chunks) });
    t.equal(res.statusCode, 200);
    const echo = (await res.body.json()) as { bodySha256: string; bodyLength: number; headers: Record<string, string> };
    t.equal(echo.bodyLength, 5600);
    t.equal(echo.bodySha256, createHash('sha256').update(Buffer.concat(chunks)).digest('hex'), 'every byte, in order');
  });

  t.test('a credential swap between attempts signs the retry with the new credentials', async (t) => {
    const removeFirst = tc.route({ path: '/api/queue/v1/swap', status: 503, times: 1 });
    const arrived = tc.nextRequest('/api/queue/v1/swap');
    const pending = fetch(`${gw.url}/queue/v1/swap`);
    await arrived;
    gw.holder.swap(permanent(clients.other));
    const echo = await (await pending).json();
    t.equal(echo.clientId, clients.other.clientId);
    removeFirst();
    gw.holder.swap(permanent(clients.worker));
  });
});

t.test('a client going away while the proxy waits to retry ends its retries', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  const retry = { initialMs: 400, multiplier: 1, randomization: 0, maxIntervalMs: 400, maxElapsedMs: 10_000 };
  const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker), proxy: { retry } });
  t.teardown(() => gw.close());
  tc.route({ path: '/api/queue/v1/unavailable', status: 503 });
  const arrived = tc.nextRequest('/api/queue/v1/unavailable');
  const before = tc.requests.length;
  const client = new AbortController();
  const pending = fetch(`${gw.url}/queue/v1/unavailable`, { signal: client.signal }).catch(() => 'aborted');
  await arrived;
  // the 503 is read and dropped at once; the client leaves during the wait that follows
  await new Promise((resolve) => setTimeout(resolve, 150));
  client.abort();
  t.equal(await pending, 'aborted');
  await new Promise((resolve) => setTimeout(resolve, 3 * retry.initialMs));
  t.equal(tc.requests.length - before, 1, 'no attempt after the client left');
});
