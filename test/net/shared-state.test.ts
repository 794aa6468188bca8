// Issue 16 §1: replicas sharing Redis (--redis-url) share Hawk replay protection: a header
// accepted on one replica is refused on every other. Two whole gateways (secrets plugin, local
// auth, one SQLite file) over real HTTP; Redis itself, or through a relay the test cuts: while it
// is unavailable they keep serving on per-process state (one warning, heartbeat degraded, gauge
// 0) and share again once it answers; with --redis-required they refuse, 503.
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { HawkSigner, NONCE_WINDOW_MS } from '../../src/core/hawk.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { secretsModule } from '../../src/plugins/secrets/capability.js';
import { buildGateway } from '../../src/server.js';
import { assertErrorBody } from '../helpers/error-body.js';
import { get } from '../helpers/http.js';
import { REDIS, redisForTest } from '../helpers/redis.js';
import { startTcpRelay } from '../helpers/tcp-relay.js';
import { clients } from '../plugins/secrets/gateway.js';
import { heartbeat, loggedGateway, type LoggedGateway } from '../plugins/secrets/configured-gateway.js';
import { inProcessFlags } from '../helpers/in-process.js';

/** Both replicas see one host: the Hawk MAC covers the Host header, as behind a balancer. */
const HOST = 'secrets.test';
const LIST = '/api/secrets/v1/secrets';
const signer = new HawkSigner(clients.root);
const newHeader = () => signer.header({ method: 'GET', host: HOST, port: 80, resource: LIST });
const send = (replica: LoggedGateway, authorization: string) => get(`${replica.url}${LIST}`, { headers: { host: HOST, authorization } });

/**
 * Two replicas on one SQLite file and one Redis (at `port`, under a key prefix of this test's).
 * A loaded test machine can hold a command past the default 250 ms: what counts as slow is 1 s here.
 */
async function twoReplicas(t: Test, port: number, extra: string[] = []): Promise<[LoggedGateway, LoggedGateway]> {
  const dir = t.testdir();
  const { prefix } = redisForTest(t);
  const flags = ['--redis-url', `redis://127.0.0.1:${port}`, '--redis-key-prefix', prefix, '--redis-timeout-ms', '1000', ...extra];
  const database = `sqlite:${join(dir, 'secrets.db')}`;
  return [await loggedGateway(t, dir, database, flags), await loggedGateway(t, dir, database, flags)];
}

/** The header sent to each replica in turn, each answer awaited before the next send: the order is the test's. */
async function statuses(authorization: string, replicas: LoggedGateway[]): Promise<number[]> {
  const answers: number[] = [];
  for (const replica of replicas) answers.push((await send(replica, authorization)).status);
  return answers;
}
const redisWarnings = (replica: LoggedGateway) => replica.logs.filter((l) => l.level === 40 && /^Redis unavailable/.test(l.msg));
const gauge = async (replica: LoggedGateway) => /^gateway_redis_up (\d)$/m.exec(await replica.gateway.metrics!.registry.metrics())?.[1];

/** Polls /__heartbeat__ until its redis check reads `want`: how long Redis takes to come back is not the test's to fix. */
async function untilRedis(replica: LoggedGateway, want: string): Promise<{ status: number; body: unknown }> {
  for (;;) {
    const answer = await heartbeat(replica.url);
    if ((answer.body as { checks: Record<string, string> }).checks.redis === want) return answer;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

t.test('one Hawk header sent to two replicas: exactly one 2xx and one 401, whichever comes first', async (t) => {
  const [a, b] = await twoReplicas(t, REDIS.port);
  const header = newHeader();
  const answers = await Promise.all([send(a, header), send(b, header)]);
  t.same(answers.map((r) => r.status).sort(), [200, 401], 'sent at once to both');
  const refused = answers.find((r) => r.status === 401)!;
  assertErrorBody(t, refused.body, { code: 'AuthenticationFailed', message: 'Invalid nonce', method: 'GET' });
  const again = newHeader();
  t.same(await statuses(again, [b, a, b]), [200, 401, 401], 'accepted on one, refused on the other and on itself');
  t.same(await heartbeat(a.url), { status: 200, body: { status: 'ok', checks: { secrets: 'ok', redis: 'ok' } } });
  t.equal(await gauge(a), '1', 'gateway_redis_up');
});

t.test('the nonce is kept in Redis for the whole skew window, under the configured prefix', async (t) => {
  const dir = t.testdir();
  const { prefix, redis } = redisForTest(t);
  const replica = await loggedGateway(t, dir, `sqlite:${join(dir, 'secrets.db')}`, ['--redis-url', `redis://${REDIS.host}:${REDIS.port}`, '--redis-key-prefix', prefix]);
  const header = newHeader();
  t.equal((await send(replica, header)).status, 200);
  const keys = await redis.keys(`${prefix}nonce:*`);
  t.equal(keys.length, 1, 'one key per accepted header');
  const ttl = await redis.pttl(keys[0]!.slice(prefix.length));
  t.ok(ttl > NONCE_WINDOW_MS - 60_000 && ttl <= NONCE_WINDOW_MS, `expires with the window (${ttl} ms left of ${NONCE_WINDOW_MS})`);
});

t.test('Redis cut: both replicas keep serving on their own state, one warning each, degraded; back: shared again', async (t) => {
  const relay = await startTcpRelay(t, REDIS);
  const [a, b] = await twoReplicas(t, relay.port);
  t.same(await statuses(newHeader(), [a, b]), [200, 401], 'shared while Redis answers');

  relay.cut();
  const during = newHeader();
  t.same(await statuses(during, [a, a, b]), [200, 401, 200], 'served; a replay on the same replica is still refused, on the other it is the cost of failing open');
  for (let i = 0; i < 5; i++) t.same(await statuses(newHeader(), [a, b]), [200, 200], 'every fresh request served');
  t.same(await heartbeat(a.url), { status: 200, body: { status: 'degraded', checks: { secrets: 'ok', redis: 'degraded' } } }, 'degraded, still 200: a balancer keeps the replica');
  t.equal(await gauge(a), '0', 'gateway_redis_up says so');
  t.equal(redisWarnings(a).length, 1, 'one warning for the outage, not one per request');
  t.same(a.logs.filter((l) => l.level >= 40), redisWarnings(a), 'and no other warning or error line');
  t.match(redisWarnings(a)[0], { component: 'redis', msg: 'Redis unavailable: replay protection and rate limits are per process until it answers again' });
  t.notMatch(JSON.stringify(a.logs), /nonce:|\["root"/, 'no key or nonce logged');

  relay.restore();
  t.same(await untilRedis(a, 'ok'), { status: 200, body: { status: 'ok', checks: { secrets: 'ok', redis: 'ok' } } });
  await untilRedis(b, 'ok');
  t.same(await statuses(newHeader(), [b, a]), [200, 401], 'a replay across replicas refused again');
  t.equal(await gauge(a), '1');
  t.equal(redisWarnings(a).length, 1, 'still the one warning');
  t.ok(a.logs.some((l) => l.level === 30 && /^Redis answers again/.test(l.msg)), 'and a line when it returned');
});

t.test('Redis slow (a partition): a command waits --redis-timeout-ms at most, then the replica serves on its own state', async (t) => {
  const relay = await startTcpRelay(t, REDIS);
  const [a, b] = await twoReplicas(t, relay.port);
  relay.blackHole();
  t.same(await statuses(newHeader(), [a, b]), [200, 200], 'served');
  t.same(await heartbeat(a.url), { status: 200, body: { status: 'degraded', checks: { secrets: 'ok', redis: 'degraded' } } });
  t.equal(redisWarnings(a).length, 1);
  t.match(redisWarnings(a)[0], { reason: /timed out/ });
  relay.restore();
  await untilRedis(a, 'ok');
  await untilRedis(b, 'ok');
  t.same(await statuses(newHeader(), [a, b]), [200, 401], 'shared again');
});

t.test('Redis unreachable at start: the replica starts and serves, degraded, and shares once Redis answers', async (t) => {
  const relay = await startTcpRelay(t, REDIS);
  relay.cut();
  const [a, b] = await twoReplicas(t, relay.port);
  t.same(await statuses(newHeader(), [a, b]), [200, 200]);
  t.equal(redisWarnings(a).length, 1);
  relay.restore();
  await untilRedis(a, 'ok');
  await untilRedis(b, 'ok');
  t.same(await statuses(newHeader(), [a, b]), [200, 401]);
});

t.test('--redis-required: while Redis is cut, signed requests are refused 503 and the heartbeat fails', async (t) => {
  const relay = await startTcpRelay(t, REDIS);
  const [a, b] = await twoReplicas(t, relay.port, ['--redis-required']);
  t.same(await statuses(newHeader(), [a, b]), [200, 401]);
  relay.cut();
  const refused = await send(a, newHeader());
  t.equal(refused.status, 503);
  assertErrorBody(t, refused.body, {
    code: 'ServiceUnavailable', method: 'GET',
    message: 'Redis, which this gateway shares with its replicas, is unavailable, and the gateway is configured to refuse requests without it (--redis-required)',
  });
  t.equal((await send(b, newHeader())).status, 503, 'on every replica');
  t.same(await heartbeat(a.url), { status: 503, body: { status: 'error', checks: { secrets: 'ok', redis: 'error' } } });
  t.match(redisWarnings(a)[0], { msg: /refused \(503\)/ });
  relay.restore();
  await untilRedis(a, 'ok');
  await untilRedis(b, 'ok');
  t.same(await statuses(newHeader(), [a, b]), [200, 401], 'served and shared again');
});

t.test('settings: --redis-required needs a URL, the URL must be Redis\'s and is never echoed', async (t) => {
  const build = (argv: string[]) => buildGateway(loadConfig({ argv: ['--plugins', 'secrets', '--port', '0', ...inProcessFlags(argv), ...argv], env: {}, modules: [secretsModule] }), { log: createLogger('silent') });
  await t.rejects(build(['--redis-required']), { name: 'ConfigError', message: 'setting redis.required (--redis-required) needs redis.url (--redis-url / GATEWAY_REDIS_URL)' });
  const err = await build(['--redis-url', 'http://:hunter2@127.0.0.1:6379']).catch((e: Error) => e);
  t.match(err, { name: 'ConfigError', message: 'setting redis.url (--redis-url / GATEWAY_REDIS_URL): expected a redis:// or rediss:// URL' });
  t.notMatch(String(err), /hunter2/);
  await t.rejects(build(['--redis-url', 'redis://127.0.0.1:6379', '--redis-timeout-ms', '0']), { name: 'ConfigError', message: /redis\.timeoutMs/ });
});
