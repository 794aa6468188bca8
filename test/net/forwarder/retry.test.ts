// The retry policy (corrections.md, Retries): taskcluster-proxy's backoff, on connection errors
// before any answer, 5xx and 429. What it does through the plugins: ./forwarding.test.ts.
import t from 'tap';
import { DEFAULT_RETRY, retryableError, retryableStatus, retryDelay } from '../../../src/net/forwarder/retry.js';

t.test('backoff: 0.5 s initial, x1.5, ±50 % jitter, 60 s cap, 15 minutes in all', async (t) => {
  t.equal(retryDelay(DEFAULT_RETRY, 0, 0, () => 0.5), 500);
  t.equal(retryDelay(DEFAULT_RETRY, 1, 0, () => 0.5), 750);
  t.equal(retryDelay(DEFAULT_RETRY, 0, 0, () => 0), 250, 'jitter down to half');
  t.equal(retryDelay(DEFAULT_RETRY, 0, 0, () => 1), 750, 'and up to one and a half');
  t.equal(retryDelay(DEFAULT_RETRY, 30, 0, () => 0.5), 60_000, 'capped');
  t.equal(retryDelay(DEFAULT_RETRY, 3, 15 * 60_000 - 100, () => 0.5), undefined, 'no retry past 15 minutes');
});

t.test('what is retried', async (t) => {
  t.ok(retryableStatus(500) && retryableStatus(503) && retryableStatus(429));
  t.notOk(retryableStatus(404) || retryableStatus(400) || retryableStatus(401) || retryableStatus(303) || retryableStatus(200));
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']) t.ok(retryableError(Object.assign(new Error('x'), { code })), code);
  t.notOk(retryableError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' })), 'a timeout is not retried');
  t.notOk(retryableError(new Error('plain')));
});
