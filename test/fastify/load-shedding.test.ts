// Issue 16 §3: under overload a listener sheds load: every request, /__lbheartbeat__ included,
// gets 503 ServiceUnavailable in Taskcluster's shape with Retry-After at once, instead of waiting
// in a queue that grows. Overload here is real: the event loop of the process serving is starved
// by synchronous busy waits from a timer, for as long as the test chooses; memory thresholds are
// set below what any process uses. Recovery: once the loop is free, the listener serves again.
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { gatewayApp } from '../../src/server.js';
import { dockerflowRoutes } from '../../src/routes/dockerflow.js';
import { assertErrorBody } from '../helpers/error-body.js';
import { get, type Answer } from '../helpers/http.js';
import { freePort } from '../helpers/spawn-bin.js';
import { loggedGateway } from '../plugins/secrets/configured-gateway.js';

const LIST = '/api/secrets/v1/secrets';

/** Keeps the event loop busy in 200 ms stretches, with a turn for I/O between them, until the test ends or `stop()`. */
function starveEventLoop(t: Test): () => void {
  const timer = setInterval(() => {
    const until = performance.now() + 200;
    while (performance.now() < until);
  }, 1);
  const stop = () => clearInterval(timer);
  t.teardown(stop);
  return stop;
}

/** Asks `path` until it answers `status`: when the next sample is taken is the library's business, not the test's. */
async function until(url: string, status: number): Promise<Answer> {
  for (;;) {
    const answer = await get(url);
    if (answer.status === status) return answer;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function assertShed(t: Test, answer: Answer, reason: RegExp, what: string): void {
  t.equal(answer.status, 503, `${what}: 503`);
  t.equal(answer.headers['retry-after'], '7', `${what}: Retry-After as configured`);
  assertErrorBody(t, answer.body, { code: 'ServiceUnavailable', message: reason, method: 'GET' }, what);
}

t.test('event loop delay: requests and /__lbheartbeat__ get 503 with Retry-After while the loop is starved, then are served again', async (t) => {
  const dir = t.testdir();
  const replica = await loggedGateway(t, dir, `sqlite:${join(dir, 'secrets.db')}`, [
    '--max-event-loop-delay-ms', '50', '--load-sample-interval-ms', '100', '--load-retry-after-sec', '7',
  ]);
  // starting may itself have held the loop past a sample, and a busy machine can leave the process
  // without a turn for a whole one: the baseline is the first request served (an episode before it
  // has logged its end by then)
  t.same((await until(`${replica.url}/__lbheartbeat__`, 200)).body, {});
  const served = await until(`${replica.url}${LIST}`, 403);
  t.equal(served.body.code, 'InsufficientScopes', 'served before: an anonymous caller lacks secrets:list-secrets');
  const logged = replica.logs.length;

  const stop = starveEventLoop(t);
  const lbheartbeat = await until(`${replica.url}/__lbheartbeat__`, 503);
  const reason = /^The gateway is overloaded \(event loop delay (\d+ ms|beyond measure), over 50 ms\); retry after 7 s, or on another replica$/;
  assertShed(t, lbheartbeat, reason, '/__lbheartbeat__');
  // every request arriving while the loop stays starved: the measurement holds as long as the starving does
  const during = await Promise.all([get(`${replica.url}${LIST}`), get(`${replica.url}/__heartbeat__`), get(`${replica.url}/__lbheartbeat__`)]);
  during.forEach((answer, i) => assertShed(t, answer, reason, `request ${i} while starved`));

  stop();
  await until(`${replica.url}/__lbheartbeat__`, 200);
  const after = await until(`${replica.url}${LIST}`, served.status);
  t.same([after.body.code, after.body.message], [served.body.code, served.body.message], 'served as before');
  const lines = replica.logs.slice(logged).filter((l) => /^(overloaded|load back)/.test(l.msg));
  const episode = [
    { level: 40, msg: 'overloaded: shedding load (503) until it passes', reason: /^event loop delay (\d+ ms|beyond measure), over 50 ms$/ },
    { level: 30, msg: 'load back under the thresholds: serving again' },
  ];
  // the starving is one episode; a busy machine may add one of its own after it, logged the same way
  t.match(lines, Array.from({ length: Math.max(2, lines.length) }, (_, i) => episode[i % 2]), 'one warning per episode, one line at its end, not one per shed request');
  t.ok(lines.length === 2 || lines.length === 4, `the starving's episode, at most one more (${lines.length / 2})`);
});

t.test('event loop utilization, measured per sample: shed while the loop is busy', async (t) => {
  const loaded = loadConfig({ argv: ['--max-event-loop-delay-ms', '0', '--max-event-loop-utilization', '0.5', '--load-sample-interval-ms', '100', '--load-retry-after-sec', '7'], env: {} });
  const app = await gatewayApp(createLogger('silent'), 'main', { loadShedding: loaded.core.loadShedding });
  await app.register(dockerflowRoutes);
  t.teardown(() => app.close());
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  await until(`${url}/__lbheartbeat__`, 200);
  const stop = starveEventLoop(t);
  assertShed(t, await until(`${url}/__lbheartbeat__`, 503), /^The gateway is overloaded \(event loop utilization (0\.[5-9]\d|1\.00), over 0\.50\); retry after 7 s, or on another replica$/, 'starved');
  stop();
  await until(`${url}/__lbheartbeat__`, 200);
});

t.test('memory: past the heap or RSS threshold every request of a listener is shed; the admin listener still serves /metrics', async (t) => {
  for (const [flag, what] of [['--max-heap-used-bytes', 'heap used'], ['--max-rss-bytes', 'resident set']] as const) {
    const dir = t.testdir();
    const replica = await loggedGateway(t, dir, `sqlite:${join(dir, 'secrets.db')}`, [
      '--max-event-loop-delay-ms', '0', flag, '1', '--load-sample-interval-ms', '100', '--load-retry-after-sec', '7', '--admin-port', String(await freePort()),
    ]);
    const shed = await until(`${replica.url}${LIST}`, 503);
    assertShed(t, shed, new RegExp(`^The gateway is overloaded \\(${what} \\d+ bytes, over 1 bytes\\); retry after 7 s, or on another replica$`), what);
    assertShed(t, await get(`${replica.url}/__lbheartbeat__`), /overloaded/, `${what}: /__lbheartbeat__`);
    const metrics = await get(`http://127.0.0.1:${(replica.gateway.admin!.server.address() as AddressInfo).port}/metrics`);
    t.equal(metrics.status, 200, `${what}: /metrics on the admin listener is never shed`);
    t.match(metrics.body, /gateway_requests_total\{listener="main",method="GET",status="503"\}/, `${what}: the shed requests are counted`);
  }
});

t.test('settings: defaults, flags and environment, and the values refused', async (t) => {
  const core = (argv: string[], env: NodeJS.ProcessEnv = {}) => loadConfig({ argv, env }).core.loadShedding;
  t.same(core([]), { maxEventLoopDelayMs: 1000, maxEventLoopUtilization: 0, maxHeapUsedBytes: 0, maxRssBytes: 0, sampleIntervalMs: 1000, retryAfterSec: 10 });
  t.match(core(['--max-event-loop-utilization', '0.9', '--max-rss-bytes', '1000000']), { maxEventLoopUtilization: 0.9, maxRssBytes: 1_000_000 });
  t.match(core([], { GATEWAY_MAX_EVENT_LOOP_DELAY_MS: '200', GATEWAY_MAX_HEAP_USED_BYTES: '5' }), { maxEventLoopDelayMs: 200, maxHeapUsedBytes: 5 });
  t.throws(() => core(['--max-event-loop-utilization', '1.5']), /must be a number from 0 to 1/);
  const build = (argv: string[]) => gatewayApp(createLogger('silent'), 'main', { loadShedding: core(argv) });
  await t.rejects(build(['--load-sample-interval-ms', '99']), { name: 'ConfigError', message: 'setting loadShedding.sampleIntervalMs (--load-sample-interval-ms) must be at least 100' });
  await t.rejects(build(['--load-retry-after-sec', '0']), { name: 'ConfigError', message: 'setting loadShedding.retryAfterSec (--load-retry-after-sec) must be at least 1' });
  const off = await gatewayApp(createLogger('silent'), 'main', { loadShedding: core(['--max-event-loop-delay-ms', '0']) });
  t.teardown(() => off.close());
  t.notOk(off.hasDecorator('isUnderPressure'), 'every threshold 0: nothing measured, no hook');
});
