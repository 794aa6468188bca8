// Single-use bootstrap secrets: created with a scope, claimed with only the token exactly once
// (also under concurrent claims, also across two replicas on one PostgreSQL), discarded,
// expiring; logs name tokens only hashed.
import t, { type Test } from 'tap';
import { loggedToken } from '../../../src/log.js';
import { postgresBackend, requirePostgres } from './store/postgres-backend.js';
import { sqliteBackend } from './store/sqlite-backend.js';
import { auditLines, clients, startGateway, testKeys, type TestGateway } from './gateway.js';
import { signedFetch } from './suite-input.js';

await requirePostgres();

// taskcluster-client has no bootstrap method: a Hawk-signed POST as it would send
const create = (gw: TestGateway, body: unknown, credentials: { clientId: string; accessToken: string } = clients.provisioner) =>
  signedFetch(`${gw.rootUrl}/api/secrets/v1/bootstrap`, { method: 'POST', body: JSON.stringify(body), credentials });

const claim = async (gw: TestGateway, token: string, method = 'GET') => {
  const res = await fetch(`${gw.rootUrl}/api/secrets/v1/bootstrap/${token}`, { method });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

t.test('create with the scope, claim once without Hawk, discard, expire', async (t) => {
  const gw = await startGateway(t, await sqliteBackend.fresh(t));
  const data = { clientId: 'worker-42', accessToken: 'bootstrap-data-value' };
  const denied = await create(gw, { data }, clients.reader);
  t.same([denied.status, denied.body.code], [403, 'InsufficientScopes']);
  t.match(denied.body.message, 'secrets:bootstrap:create');
  const made = await create(gw, { data, ttl: 600 });
  t.equal(made.status, 200);
  t.match(made.body, { token: /^[A-Za-z0-9_-]{32,}$/, expires: String });
  t.ok(Math.abs(Date.parse(made.body.expires) - (Date.now() + 600_000)) < 5000, 'expires after ttl');
  t.same(await claim(gw, made.body.token), { status: 200, body: { data } }, 'first claim gets the data');
  const second = await claim(gw, made.body.token);
  t.same([second.status, second.body.code], [404, 'ResourceNotFound'], 'second claim: gone');
  t.same(second.body.requestInfo.params, { token: '(OMITTED)' }, 'the error body does not echo the token');
  t.notMatch(JSON.stringify(second.body), made.body.token);

  const probed = await create(gw, { data: { x: 1 } });
  const head = await fetch(`${gw.rootUrl}/api/secrets/v1/bootstrap/${probed.body.token}`, { method: 'HEAD' });
  t.equal(head.status, 404, 'HEAD is no claim: the API declares no HEAD route');
  t.same(await claim(gw, probed.body.token), { status: 200, body: { data: { x: 1 } } }, 'the secret is still there after a HEAD');

  const discarded = await create(gw, { data: { x: 1 } });
  t.same(await claim(gw, discarded.body.token, 'DELETE'), { status: 200, body: {} });
  t.equal((await claim(gw, discarded.body.token)).status, 404, 'discarded unread');
  t.same(await claim(gw, discarded.body.token, 'DELETE'), { status: 200, body: {} }, 'discarding again answers {} too');

  const short = await create(gw, { data: { x: 1 }, expires: new Date(Date.now() + 1000).toJSON() });
  await new Promise((resolve) => setTimeout(resolve, 1200));
  t.equal((await claim(gw, short.body.token)).status, 404, 'unclaimed ones expire');

  for (const [name, body] of [
    ['both ttl and expires', { data: {}, ttl: 60, expires: new Date(Date.now() + 60_000).toJSON() }],
    ['ttl beyond a day', { data: {}, ttl: 86_401 }],
    ['expires in the past', { data: {}, expires: new Date(Date.now() - 1000).toJSON() }],
    // within the day allowed once rolled over to the next midnight, as Date.parse did; not a time of day
    ['expires at hour 24', { data: {}, expires: `${new Date().toJSON().slice(0, 10)}T24:00:00Z` }],
    ['no data', { ttl: 60 }],
    ['data not an object', { data: 'x' }],
  ] as const) {
    const res = await create(gw, body);
    t.equal(res.status, 400, name);
    t.match(res.body.code, /^Input/, name);
  }

  const text = gw.logText();
  for (const token of [made.body.token, discarded.body.token]) t.notMatch(text, token, 'no token in any log line');
  t.notMatch(text, 'bootstrap-data-value', 'no data in any log line');
  const lines = auditLines(gw);
  t.same(lines.filter((l) => l.name === loggedToken(made.body.token)).map((l) => [l.action, l.outcome]), [
    ['bootstrap-create', 'created'], ['bootstrap-claim', 'claimed'], ['bootstrap-claim', 'not-found'],
  ], 'every claim and failed claim logged, token hashed');
  t.ok(gw.logs.some((l) => String((l.req as { url?: string } | undefined)?.url ?? '').includes(loggedToken(made.body.token))), 'request log shows the hashed token');
});

async function raceClaims(t: Test, gateways: TestGateway[], tokens: string[]): Promise<void> {
  for (const token of tokens) {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => claim(gateways[i % gateways.length]!, token)));
    t.equal(results.filter((r) => r.status === 200).length, 1, 'exactly one claim gets the data');
    t.equal(results.filter((r) => r.status === 404).length, 7, 'every other one 404');
  }
}

t.test('concurrent claims on SQLite: one winner each', async (t) => {
  const gw = await startGateway(t, await sqliteBackend.fresh(t));
  const tokens = await Promise.all(Array.from({ length: 5 }, async (_, i) => (await create(gw, { data: { i } })).body.token as string));
  await raceClaims(t, [gw], tokens);
});

t.test('concurrent claims on two replicas sharing PostgreSQL: one winner each', async (t) => {
  const db = await postgresBackend.fresh(t);
  const keys = testKeys();
  const replicas = [await startGateway(t, db, { keys }), await startGateway(t, db, { keys })];
  const tokens = await Promise.all(Array.from({ length: 5 }, async (_, i) => (await create(replicas[i % 2]!, { data: { i } })).body.token as string));
  await raceClaims(t, replicas, tokens);
});
