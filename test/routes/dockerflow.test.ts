// /__heartbeat__: every check runs at once and has a deadline, so a monitor always gets an
// answer: 200 when all pass (status degraded when one serves on a fallback), else 503 naming
// each check's outcome.
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import { dockerflowRoutes, HEARTBEAT_CHECK_DEADLINE_MS, type HeartbeatCheck } from '../../src/routes/dockerflow.js';

async function heartbeatOf(t: Test, checks: Record<string, HeartbeatCheck>, checkDeadlineMs?: number) {
  const app = Fastify();
  await app.register(dockerflowRoutes, { checks, checkDeadlineMs });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/__heartbeat__' });
  return { status: res.statusCode, body: res.json() };
}

t.test('no checks, or all passing: 200', async (t) => {
  t.same(await heartbeatOf(t, {}), { status: 200, body: { status: 'ok', checks: {} } });
  t.same(await heartbeatOf(t, { db: async () => {}, token: async () => {} }), { status: 200, body: { status: 'ok', checks: { db: 'ok', token: 'ok' } } });
});

t.test('a failing check: 503 naming it, the others still reported', async (t) => {
  const failing = async () => {
    throw new Error('database gone');
  };
  t.same(await heartbeatOf(t, { db: failing, token: async () => {} }), { status: 503, body: { status: 'error', checks: { db: 'error', token: 'ok' } } });
});

t.test('a check that never answers fails at the deadline; the heartbeat does not hang', async (t) => {
  const never = () => new Promise<void>(() => {});
  t.same(await heartbeatOf(t, { stuck: never, also: never, fine: async () => {} }, 50), { status: 503, body: { status: 'error', checks: { stuck: 'error', also: 'error', fine: 'ok' } } });
  t.ok(HEARTBEAT_CHECK_DEADLINE_MS <= 5000, 'the default deadline is short');
});

t.test('a degraded check (serving on a fallback): 200, so a balancer keeps the replica; a failure still wins', async (t) => {
  const degraded = async () => 'degraded' as const;
  t.same(await heartbeatOf(t, { db: async () => {}, redis: degraded }), { status: 200, body: { status: 'degraded', checks: { db: 'ok', redis: 'degraded' } } });
  const failing = async () => {
    throw new Error('database gone');
  };
  t.same(await heartbeatOf(t, { db: failing, redis: degraded }), { status: 503, body: { status: 'error', checks: { db: 'error', redis: 'degraded' } } });
});
