// Waiting at start for a service: one line saying what is awaited, retries, and one error naming
// it and the last failure when the bound passes.
import t from 'tap';
import { waitFor, WaitExpired } from '../../src/core/wait.js';

function recorder() {
  const lines: Array<{ fields: object; message: string }> = [];
  return { lines, log: { info: (fields: object, message: string) => void lines.push({ fields, message }) } };
}

t.test('retries until the service answers, after one line saying what it waits for', async (t) => {
  const { lines, log } = recorder();
  let attempts = 0;
  const answer = await waitFor(async () => {
    if (++attempts < 3) throw new Error('connect ECONNREFUSED');
    return 'ok';
  }, { what: 'the queue', boundMs: 60_000, log, initialMs: 1 });
  t.equal(answer, 'ok');
  t.equal(attempts, 3);
  t.same(lines, [{ fields: { waitingFor: 'the queue', boundMs: 60_000 }, message: 'waiting for the queue (at most 60 s)' }]);
});

t.test('a service there at once: no line', async (t) => {
  const { lines, log } = recorder();
  t.equal(await waitFor(async () => 'ok', { what: 'the queue', boundMs: 60_000, log }), 'ok');
  t.same(lines, []);
});

t.test('a failure that is not an outage is thrown at once', async (t) => {
  let attempts = 0;
  const refusal = new Error('task not found');
  await t.rejects(waitFor(async () => {
    attempts++;
    throw refusal;
  }, { what: 'the queue', boundMs: 60_000, log: recorder().log, retryable: (err) => err !== refusal }), refusal);
  t.equal(attempts, 1);
});

t.test('the bound passes: WaitExpired names what and the last failure', async (t) => {
  await t.rejects(waitFor(async () => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:9');
  }, { what: 'the database at 127.0.0.1:9', boundMs: 50, log: recorder().log, initialMs: 1 }),
  new WaitExpired('gave up waiting for the database at 127.0.0.1:9 after 0.1 s: connect ECONNREFUSED 127.0.0.1:9'));
});

t.test('an attempt that never answers is cut at the bound, its signal aborted', async (t) => {
  let signal: AbortSignal | undefined;
  await t.rejects(waitFor((s) => {
    signal = s;
    return new Promise(() => {});
  }, { what: 'the auth service', boundMs: 50, log: recorder().log }), { name: 'WaitExpired', message: 'gave up waiting for the auth service after 0.1 s: no answer' });
  t.equal(signal?.aborted, true);
});

t.test('a bound of 0: one attempt, no line', async (t) => {
  const { lines, log } = recorder();
  await t.rejects(waitFor(async () => {
    throw new Error('down');
  }, { what: 'x', boundMs: 0, log }), { message: 'down' });
  t.same(lines, []);
});
