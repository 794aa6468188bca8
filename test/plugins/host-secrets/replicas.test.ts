// Issue 16 §1: host-secrets replicas sharing Redis (--redis-url) share the per-address limit:
// six a minute for one address across both, the 7th → 429. While Redis is cut, each replica
// serves and limits on its own count; once Redis answers, the shared count holds again.
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import { hostSecretsModule } from '../../../src/plugins/host-secrets/capability.js';
import { buildGateway } from '../../../src/server.js';
import { assertErrorBody } from '../../helpers/error-body.js';
import { REDIS, redisForTest } from '../../helpers/redis.js';
import { startTcpRelay } from '../../helpers/tcp-relay.js';
import { baseEnv, get } from './harness.js';
import { ptrName, startZoneServer } from './zone-server.js';
import { inProcessFlags } from '../../helpers/in-process.js';

const zone = await startZoneServer({ PTR: { [ptrName('127.0.0.5')]: ['a.test.example.com'] }, A: { 'a.test.example.com': ['127.0.0.5'] } });
t.teardown(() => zone.close());

interface Replica {
  url: string;
  logs: Array<Record<string, any>>;
}

/** Two whole host-secrets gateways on one Redis (at `port`), under a key prefix of this test's; slow is 1 s on a loaded test machine. */
async function twoReplicas(t: Test, port: number): Promise<[Replica, Replica]> {
  const { prefix } = redisForTest(t);
  const start = async (): Promise<Replica> => {
    const logs: Array<Record<string, any>> = [];
    const log = createLogger('info', new Writable({ write(chunk, _e, done) { logs.push(...String(chunk).split('\n').filter(Boolean).map((line) => JSON.parse(line))); done(); } }));
    const env = { ...baseEnv, GATEWAY_DNS_SERVERS: zone.server, GATEWAY_REDIS_URL: `redis://127.0.0.1:${port}`, GATEWAY_REDIS_KEY_PREFIX: prefix, GATEWAY_REDIS_TIMEOUT_MS: '1000' };
    const gateway = await buildGateway(loadConfig({ argv: ['--plugins', 'host-secrets', '--port', '0', ...inProcessFlags([])], env, modules: [hostSecretsModule] }), { log });
    t.teardown(() => gateway.close());
    return { url: (await gateway.listen()).main!, logs };
  };
  return [await start(), await start()];
}

const ask = async (replica: Replica) => get(`${replica.url}/v1/credentials`, { localAddress: '127.0.0.5' });
const statuses = async (replicas: Replica[]) => {
  const out: number[] = [];
  for (const replica of replicas) out.push((await ask(replica)).status);
  return out;
};

t.test('six a minute for one address across two replicas: the 7th is refused 429', async (t) => {
  const [a, b] = await twoReplicas(t, REDIS.port);
  t.same(await statuses([a, b, a, b, a, b]), [200, 200, 200, 200, 200, 200], 'three on each');
  const limited = await ask(a);
  t.equal(limited.status, 429);
  assertErrorBody(t, limited.body, { code: 'TooManyRequests', message: /^Rate limit exceeded/, method: 'GET' });
  t.ok(Number(limited.headers['retry-after']) > 0, 'says when to come back');
  t.equal((await ask(b)).status, 429, 'on the other replica too');
});

t.test('Redis cut: each replica serves and limits on its own count; back: the shared count holds again', async (t) => {
  const relay = await startTcpRelay(t, REDIS);
  const [a, b] = await twoReplicas(t, relay.port);
  t.same(await statuses([a, b, a, b, a, b]), [200, 200, 200, 200, 200, 200], 'six, shared');
  relay.cut();
  t.same(await statuses([a, a, a, a]), [200, 200, 200, 429], 'A alone has seen 3: three more, then its own limit');
  t.equal(a.logs.filter((l) => l.level >= 40 && /^Redis unavailable/.test(l.msg)).length, 1, 'one warning');
  relay.restore();
  for (;;) {
    const body = (await get(`${b.url}/__heartbeat__`)).body as { checks: { redis: string } };
    if (body.checks.redis === 'ok') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.equal((await ask(b)).status, 429, 'B, which has seen 3 itself, refuses: the count in Redis is shared again');
});
