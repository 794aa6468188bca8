// Issue 16, the multi-replica test: three gateway processes on one PostgreSQL database and one
// Redis behind a real nginx (round-robin, keep-alive upstream, retries on the next replica), all
// on loopback. Several replicas behave as one gateway: a Hawk header is accepted once whichever
// replicas it reaches; host-secrets' six a minute hold for one address across them; a replica
// killed mid-traffic loses no acknowledged write and the balancer keeps clients served (a signed
// request it had taken is refused 503 on the next replica, never 401, and clients retry it); Redis
// stopped mid-traffic fails no request and degrades the heartbeat, and sharing resumes after; the
// secrets read cache: a change on one replica seen on the others within 1 s, none stale with a
// replica's notification connection cut.
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { HawkSigner } from '../../src/core/hawk.js';
import { assertErrorBody } from '../helpers/error-body.js';
import { get, type Answer } from '../helpers/http.js';
import { findNginx } from '../helpers/nginx.js';
import { clients } from '../plugins/secrets/gateway.js';
import { cache, listening, NAME, seenWithin, valueOn, type Secrets } from '../plugins/secrets/cache-checks.js';
import { requirePostgres } from '../plugins/secrets/store/postgres-backend.js';
import { HOLDING, HOST_ADDRESS, startCluster, type Cluster } from './cluster.js';

/** The host every signature covers: nginx passes the client's Host header on as it is. */
const HOST = 'secrets.test';
const LIST = '/api/secrets/v1/secrets';
const signer = new HawkSigner(clients.root);
const newHeader = () => signer.header({ method: 'GET', host: HOST, port: 80, resource: LIST });

const nginx = findNginx();
if (!nginx) {
  t.plan(0, 'nginx is not installed (apt-get install -y nginx; .ci/run installs it): the multi-replica test needs a real balancer');
} else {
  await requirePostgres();
  await replicaTests(await startCluster(t, nginx));
}

/** The replicas (`host:port`) that answered the balancer's requests logged since `from`, one entry per request. */
/**
 * The access log's lines since `from`, once it holds `count` of them: nginx writes a request's line
 * when it finalizes the request, which can be after the client has read the answer (bound 5 s).
 */
async function logSince(cluster: Cluster, from: number, count: number): Promise<string[]> {
  const started = Date.now();
  let lines = cluster.balancer.accessLog().slice(from);
  while (lines.length < count && Date.now() - started < 5000) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    lines = cluster.balancer.accessLog().slice(from);
  }
  return lines;
}

const upstreamOf = (line: string) => /upstream=(.*) upstream_status=/.exec(line)?.[1] ?? '';

/** Runs `request` over and over on `workers` clients until `stop()`; every answer kept. */
function traffic<T>(workers: number, request: (worker: number, i: number) => Promise<T>) {
  const answers: T[] = [];
  let stopped = false;
  const running = Promise.all(Array.from({ length: workers }, async (_, worker) => {
    for (let i = 0; !stopped; i++) answers.push(await request(worker, i));
  }));
  return {
    answers,
    /** Resolves once `n` more answers have come. */
    async after(n: number) {
      const target = answers.length + n;
      while (answers.length < target) await new Promise((resolve) => setTimeout(resolve, 10));
    },
    async stop() {
      stopped = true;
      await running;
      return answers;
    },
  };
}

async function untilHeartbeat(url: string, redis: string): Promise<Answer> {
  for (;;) {
    const answer = await get(`${url}/__heartbeat__`);
    if (answer.body?.checks?.redis === redis) return answer;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function replicaTests(cluster: Cluster): Promise<void> {
  const { balancer, replicas } = cluster;
  const send = (authorization: string) => get(`${balancer.url}${LIST}`, { headers: { host: HOST, authorization } });

  t.test('one Hawk header sent twice through the balancer: exactly one 2xx and one 401, whichever replicas', async (t) => {
    const at = balancer.accessLog().length;
    const header = newHeader();
    const answers = await Promise.all([send(header), send(header)]);
    t.same(answers.map((a) => a.status).sort(), [200, 401], 'sent at once');
    assertErrorBody(t, answers.find((a) => a.status === 401)!.body, { code: 'AuthenticationFailed', message: 'Invalid nonce', method: 'GET' });
    const again = newHeader();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(again)).status);
    t.same(statuses, [200, 401, 401], 'one after the other: accepted once, refused by the replicas after');
    const upstreams = (await logSince(cluster, at, 5)).map(upstreamOf);
    t.equal(upstreams.length, 5);
    t.equal(new Set(upstreams.slice(2)).size, 3, 'the three sends of one header reached three different replicas');
  });

  t.test('host-secrets: six a minute for one address across the replicas, the 7th refused 429; X-Forwarded-For believed from nginx only', async (t) => {
    const at = balancer.accessLog().length;
    const ask = (headers: Record<string, string> = {}) => get(`${balancer.url}/v1/credentials`, { localAddress: HOST_ADDRESS, headers });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await ask()).status);
    t.same(statuses, [200, 200, 200, 200, 200, 200]);
    t.equal(new Set((await logSince(cluster, at, 6)).map(upstreamOf)).size, 3, 'spread over the three replicas');
    const limited = await ask();
    t.equal(limited.status, 429, 'the 7th');
    assertErrorBody(t, limited.body, { code: 'TooManyRequests', message: /^Rate limit exceeded/, method: 'GET' });
    t.ok(Number(limited.headers['retry-after']) > 0, 'says when to come back');
    const spoofed = await ask({ 'x-forwarded-for': '10.9.9.9' });
    t.equal(spoofed.status, 429, 'an X-Forwarded-For of the client\'s own making names no other address');
  });

  t.test('Redis stopped mid-traffic: no request fails, heartbeats degrade; Redis back: a replayed header is refused across replicas again', async (t) => {
    const at = balancer.accessLog().length;
    const load = traffic(3, () => send(newHeader()));
    await load.after(15);
    cluster.redis.cut();
    for (const replica of replicas) {
      const beat = await untilHeartbeat(replica.url, 'degraded');
      t.same([beat.status, beat.body.status], [200, 'degraded'], `${replica.url}: degraded, still 200`);
    }
    await load.after(15);
    cluster.redis.restore();
    for (const replica of replicas) await untilHeartbeat(replica.url, 'ok');
    await load.after(15);
    const answers = await load.stop();
    t.same(answers.filter((a) => a.status !== 200).map((a) => [a.status, a.body]), [], `all ${answers.length} requests served`);
    t.same(balancer.accessLog().slice(at).filter((line) => / upstream_status=.*5\d\d/.test(line)), [], 'no replica answered 5xx (no failure hidden by a retry)');
    const replayed = newHeader();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(replayed)).status);
    t.same(statuses, [200, 401, 401], 'shared again');
  });

  // -- secrets cache across replicas (issue 16 §2) ------------------------------------------------
  t.test('secrets cache: visibility across replicas and no stale read with the notification connection cut', async (t) => {
    const [r0, r1, r2] = replicas.map((replica) => new taskcluster.Secrets({ rootUrl: replica.url, credentials: clients.root, retries: 0 })) as [Secrets, Secrets, Secrets];
    const expires = () => taskcluster.fromNow('1 day');
    await listening(cluster.schema, 3);
    await r0.set(NAME, { secret: { v: 1 }, expires: expires() });
    t.equal(await valueOn(r0), 1, 'a set is seen at once on the replica that made it');
    await seenWithin(t, r1, 1, 'a set on replica 0, on replica 1');
    await seenWithin(t, r2, 1, 'a set on replica 0, on replica 2');
    for (const replica of [r0, r1, r2]) t.equal(await cache(replica), 1, 'read again (cached)');
    await r1.set(NAME, { secret: { v: 2 }, expires: expires() });
    t.equal(await valueOn(r1), 2, 'a replace is seen at once on the replica that made it');
    await seenWithin(t, r0, 2, 'a replace on replica 1, on replica 0');
    await seenWithin(t, r2, 2, 'a replace on replica 1, on replica 2');
    await r2.remove(NAME);
    t.equal(await valueOn(r2), 'absent', 'a remove is seen at once on the replica that made it');
    await seenWithin(t, r0, 'absent', 'a remove on replica 2, on replica 0');
    await seenWithin(t, r1, 'absent', 'a remove on replica 2, on replica 1');

    await r0.set(NAME, { secret: { v: 3 }, expires: expires() });
    await seenWithin(t, r1, 3, 'replica 1 reads v3');
    t.equal(await cache(r1), 3, 'and caches it');
    // replica 1's database connections, its LISTEN connection among them, go away
    replicas[1]!.database.cut();
    await r0.set(NAME, { secret: { v: 4 }, expires: expires() });
    const during = await valueOn(r1).catch((err: { statusCode?: number }) => err.statusCode);
    t.ok(during === 4 || during === 503, `replica 1 answers the new value or 503, never the old one (${String(during)})`);
    replicas[1]!.database.restore();
    await listening(cluster.schema, 3);
    t.equal(await valueOn(r1), 4, 'replica 1 reads the new value once reconnected');
    await r2.set(NAME, { secret: { v: 5 }, expires: expires() });
    await seenWithin(t, r1, 5, 'notifications reach replica 1 again');
  });

  // last: it leaves two replicas
  t.test('a replica killed (SIGKILL) mid-traffic: every acknowledged write reads back, the balancer keeps clients served, and a signed request it had taken is refused 503 on the next replica, which clients retry; never 401', async (t) => {
    const at = balancer.accessLog().length;
    const victim = replicas[HOLDING]!;
    const victimHost = new URL(victim.url).host;
    const expires = taskcluster.fromNow('1 day');
    await new taskcluster.Secrets({ rootUrl: balancer.url, credentials: clients.root, retries: 0 }).set('public/replicas', { secret: { open: true }, expires });
    // taskcluster-client's default: 5 retries of a 5xx, each attempt signed anew
    const retrying = new taskcluster.Secrets({ rootUrl: balancer.url, credentials: clients.writer });
    const once = new taskcluster.Secrets({ rootUrl: balancer.url, credentials: clients.writer, retries: 0 });
    type Write = { name: string; value: number; retries: boolean; written: boolean; readBack: boolean; error?: string };
    const writes: Write[] = [];
    const reads: Answer[] = [];
    // two writers that retry and one that does not (signed PUT, then GET), and one reader with no credentials (anonymous, unsigned)
    const load = traffic(4, async (worker, i) => {
      if (worker === 3) return reads.push(await get(`${balancer.url}/api/secrets/v1/secret/public/replicas`));
      const write: Write = { name: `project/foo/replicas/${worker}/${i}`, value: i, retries: worker !== 2, written: false, readBack: false };
      const secrets = write.retries ? retrying : once;
      try {
        await secrets.set(write.name, { secret: { value: i }, expires });
        write.written = true;
        write.readBack = (await secrets.get(write.name)).secret.value === i;
      } catch (err) {
        write.error = failure(err);
      }
      return writes.push(write);
    });
    await load.after(30);

    // Whether the traffic has a request in flight on the replica when it dies is chance; two surely
    // are. Its database black-holed, a signed request (as root: no other in flight) is sent through
    // nginx until one is held there, its header recorded in Redis under the victim's connection id
    // (learnt from a request of the test's own, sent to it directly).
    const direct = signedGet('/api/secrets/v1/secret/project/foo/direct');
    t.equal((await get(`${victim.url}${direct.resource}`, { headers: { host: HOST, authorization: direct.header } })).status, 404, 'a signed read sent to the victim directly');
    const owner = await cluster.keys.get(nonceKey(direct.header));
    t.match(owner, /^\d+$/, 'the victim records the headers it takes under its Redis connection id');
    victim.database.blackHole();
    let probes = 0;
    let heldGetName = '';
    const heldGet = await heldAt(cluster, owner!, () => {
      heldGetName = `project/foo/held-${++probes}`;
      const { resource, header } = signedGet(`/api/secrets/v1/secret/${heldGetName}`);
      return get(`${balancer.url}${resource}`, { headers: { host: HOST, authorization: header } });
    });
    const heldSet = await heldAt(cluster, owner!, async () => {
      const name = `project/foo/held-${++probes}`;
      await new taskcluster.Secrets({ rootUrl: balancer.url, credentials: clients.root }).set(name, { secret: { held: true }, expires });
      return name;
    });
    const exited = new Promise((resolve) => victim.child.once('exit', resolve));
    victim.child.kill('SIGKILL');
    await exited;
    const [refused, heldName] = await Promise.all([heldGet.answer, heldSet.answer.catch(failure)]);
    await load.after(40);
    await load.stop();

    t.equal(refused.status, 503, 'the held signed read, passed on by nginx: 503');
    assertErrorBody(t, refused.body, { code: 'ServiceUnavailable', message: ORPHANED, method: 'GET', params: { name: heldGetName } });
    t.equal(refused.headers['retry-after'], '1', 'with Retry-After: a fresh signature is served at once');
    t.same((await retrying.get(heldName)).secret, { held: true }, 'the held write, retried by taskcluster-client with a fresh signature: acknowledged, and it reads back');

    // every request sent: the first set, the probes, each read, each write's set and (when it was written) its get; and the retries
    const logged = await logSince(cluster, at, 1 + probes + reads.length + writes.reduce((n, w) => n + (w.written ? 2 : 1), 0));
    const passedOn = logged.filter((line) => upstreamOf(line).startsWith(`${victimHost}, `));
    t.ok(passedOn.length >= 2, `nginx passed requests that failed on the killed replica to the next one (${passedOn.length})`);
    t.same(logged.filter((line) => / 401 upstream=/.test(line)), [], 'no request refused 401: a request passed on is orphaned, not replayed');
    t.same(reads.filter((r) => r.status !== 200).map((r) => [r.status, r.body]), [], `every unsigned read served (${reads.length})`);
    t.same(writes.filter((w) => w.retries && !(w.written && w.readBack)), [], 'every write of a client that retries acknowledged and read back at once');
    const failed = writes.filter((w) => w.error !== undefined);
    t.same(failed.map((w) => w.error), failed.map(() => `503 ServiceUnavailable ${ORPHANED}`), 'a client that does not retry fails only as orphaned (503)');
    const refusedLines = logged.filter((line) => / 503 upstream=/.test(line));
    t.same(refusedLines.filter((line) => !upstreamOf(line).startsWith(`${victimHost}, `)), [], 'every 503 is a request passed on from the killed replica');
    const refusedOnce = refusedLines.filter((line) => line.includes('/replicas/2/'));
    t.equal(refusedOnce.length, failed.length, `each failure of the client that does not retry is one of them (${failed.length})`);
    t.same(failed.filter((w) => !refusedOnce.some((line) => line.includes(` /api/secrets/v1/secret/${w.name} 503 `))), [], 'by its name');
    // afterwards, from the survivors: nothing acknowledged was lost
    const acknowledged = writes.filter((w) => w.written);
    const values = await Promise.all(acknowledged.map(async (w) => (await retrying.get(w.name)).secret.value));
    t.same(values, acknowledged.map((w) => w.value), `every acknowledged write (${acknowledged.length} of ${writes.length}) reads back`);
  });
}

/** The message of a signed request refused because the replica that took it stopped before answering. */
const ORPHANED = 'This request was taken by a gateway replica that stopped before answering; its Hawk signature is spent: sign the request again and retry';

/** A taskcluster-client error as `<status> <code> <message>`. */
const failure = (err: unknown) => `${(err as { statusCode?: number }).statusCode} ${(err as { code?: string }).code} ${(err as Error).message}`;

function signedGet(resource: string): { resource: string; header: string } {
  return { resource, header: signer.header({ method: 'GET', host: HOST, port: 80, resource }) };
}

/** The Redis key of a header the root client signed (src/net/shared-nonce-cache.ts). */
function nonceKey(header: string): string {
  const [, nonce] = /nonce="([^"]+)"/.exec(header)!;
  const [, ts] = /ts="(\d+)"/.exec(header)!;
  return `nonce:${JSON.stringify([clients.root.clientId, nonce, ts])}`;
}

/** The keys of the root client's headers recorded under `owner`, a replica's Redis connection id. */
async function rootKeysOf(cluster: Cluster, owner: string): Promise<string[]> {
  const prefix = cluster.keys.options.keyPrefix!;
  const keys = (await cluster.keys.keys(`${prefix}nonce:*`)).map((key) => key.slice(prefix.length)).filter((key) => key.startsWith(`nonce:[${JSON.stringify(clients.root.clientId)},`));
  if (keys.length === 0) return [];
  const owners = await cluster.keys.mget(...keys);
  return keys.filter((_, i) => owners[i] === owner);
}

/**
 * Sends `request` (signed as root, the only such in flight) again and again until one is held by
 * the replica whose Redis connection is `owner`: its header recorded under it, and that replica's
 * database black-holed, so no answer comes while the replica lives. Its answer, to come.
 */
async function heldAt<T>(cluster: Cluster, owner: string, request: () => Promise<T>): Promise<{ answer: Promise<T> }> {
  for (;;) {
    const before = new Set(await rootKeysOf(cluster, owner));
    let settled = false;
    const answer = request();
    answer.then(() => (settled = true), () => (settled = true));
    while (!settled) {
      if ((await rootKeysOf(cluster, owner)).some((key) => !before.has(key))) return { answer };
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
