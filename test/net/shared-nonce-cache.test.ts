// Issue 16: a replica killed while a signed request is in flight has its header recorded in Redis;
// the balancer passes the same request on. Two SharedNonceCaches on separate connections to the
// real Redis: the header each admits is recorded under its connection's id, in the one SET; a
// header refused on the other is a replay (401) while the owner's connection is open, orphaned
// (503) once it is closed, whether the replica closed it or Redis killed it, or closed while the
// refusing replica was asking.
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/log.js';
import { SharedNonceCache } from '../../src/net/shared-nonce-cache.js';
import { SharedState } from '../../src/net/shared-state.js';
import { REDIS, redisForTest } from '../helpers/redis.js';

const silent = createLogger('info', new Writable({ write: (_chunk, _encoding, done) => done() }));

/** A replica's Redis state and nonce cache, closed when the test ends. */
async function replica(t: Test, prefix: string): Promise<{ shared: SharedState; cache: SharedNonceCache }> {
  const shared = await SharedState.open({ url: `redis://${REDIS.host}:${REDIS.port}`, required: false, timeoutMs: 1000, keyPrefix: prefix }, silent);
  t.teardown(() => shared.close());
  t.ok(shared.available, 'connected');
  t.match(shared.connectionId, /^\d+$/, 'its connection id learnt before it serves');
  return { shared, cache: new SharedNonceCache(shared) };
}

const ts = () => String(Math.floor(Date.now() / 1000));
let nonces = 0;
const header = () => ['client', `nonce-${++nonces}`, ts()] as const;
const key = ([clientId, nonce, stamp]: readonly string[]) => `nonce:${JSON.stringify([clientId, nonce, stamp])}`;

/** Until Redis lists no connection with `id` (it learns of a closed socket when it reads it). */
async function untilGone(admin: Redis, id: string): Promise<void> {
  while ((await admin.client('LIST', 'ID', id)) !== '') await new Promise((resolve) => setTimeout(resolve, 10));
}

/** The commands Redis received on `id`'s connection while `during` ran, as MONITOR shows them. */
async function commandsOn(admin: Redis, shared: SharedState, during: () => Promise<unknown>): Promise<string[][]> {
  const addr = /addr=(\S+)/.exec(String(await admin.client('LIST', 'ID', shared.connectionId!)))![1];
  const monitor = await admin.monitor();
  const seen: string[][] = [];
  const marker = `end-${Math.random()}`;
  const ended = new Promise<void>((resolve) => monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== addr) return;
    if (args[0] === 'echo' && args[1] === marker) resolve();
    else seen.push(args);
  }));
  await during();
  // MONITOR shows a connection's commands in order: all of them are in once the marker is
  await shared.client.echo(marker);
  await ended;
  monitor.disconnect();
  return seen;
}

t.test('admitted: one SET NX PX naming the owner connection, as before; refused by another replica as a replay while the owner is connected', async (t) => {
  const { prefix, redis: admin } = redisForTest(t);
  const a = await replica(t, prefix);
  const b = await replica(t, prefix);
  t.not(a.shared.connectionId, b.shared.connectionId, 'two connections, two ids');
  const first = header();
  const commands = await commandsOn(admin, a.shared, async () => t.equal(await a.cache.admit(...first), 'admitted'));
  t.same(commands, [['set', `${prefix}${key(first)}`, a.shared.connectionId, 'PX', '1800000', 'NX']], 'one command on the admitted path');
  t.equal(await admin.get(key(first)), a.shared.connectionId, 'the record names its owner');
  t.equal(await b.cache.admit(...first), 'replay', 'another replica, its owner connected: a replay (401)');
  t.equal(await a.cache.admit(...first), 'replay', 'the owner itself: a replay');
  const second = header();
  t.equal(await b.cache.admit(...second), 'admitted', 'a fresh header on the other replica');
  t.equal(await a.cache.admit(...second), 'replay');
});

t.test('orphaned: the owner connection closed, by its replica or by Redis; never admitted again', async (t) => {
  const { prefix, redis: admin } = redisForTest(t);
  const a = await replica(t, prefix);
  const b = await replica(t, prefix);
  const c = await replica(t, prefix);

  const taken = header();
  t.equal(await a.cache.admit(...taken), 'admitted');
  const owner = a.shared.connectionId!;
  await a.shared.close();
  await untilGone(admin, owner);
  t.equal(await b.cache.admit(...taken), 'orphaned', 'its owner disconnected: orphaned (503)');
  t.equal(await c.cache.admit(...taken), 'orphaned', 'on every other replica');
  t.equal(await b.cache.admit(...taken), 'replay', 'the replica that refused it remembers it: its own memory answers first');
  t.equal(await admin.get(key(taken)), owner, 'the record is left as it was: refusing writes nothing');

  // Redis closes b's connection; b reconnects under a new id
  const before = header();
  t.equal(await b.cache.admit(...before), 'admitted');
  const killed = b.shared.connectionId!;
  const reconnected = new Promise((resolve) => b.shared.client.once('ready', resolve));
  await admin.client('KILL', 'ID', killed);
  await reconnected;
  while (b.shared.connectionId === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
  t.not(b.shared.connectionId, killed, 'reconnected: a new id learnt');
  t.equal(await c.cache.admit(...before), 'orphaned', 'a header taken on the killed connection: orphaned');
  const after = header();
  t.equal(await b.cache.admit(...after), 'admitted');
  t.equal(await admin.get(key(after)), b.shared.connectionId, 'recorded under the new id');
  t.equal(await c.cache.admit(...after), 'replay', 'its owner connected again: a replay');
});

t.test('an owner whose close Redis learns of only after the refusal began: orphaned, asked again', async (t) => {
  const { prefix, redis: admin } = redisForTest(t);
  const a = await replica(t, prefix);
  const b = await replica(t, prefix);
  const taken = header();
  t.equal(await a.cache.admit(...taken), 'admitted');
  const owner = a.shared.connectionId!;
  const verdict = b.cache.admit(...taken);
  // b has asked once (its connection's last command, as Redis lists it), and found the owner connected, before a's connection closes
  while (!/ cmd=client\|list /.test(String(await admin.client('LIST', 'ID', b.shared.connectionId!)))) await new Promise((resolve) => setTimeout(resolve, 1));
  t.not(await admin.client('LIST', 'ID', owner), '', 'the owner still connected then');
  await a.shared.close();
  t.equal(await verdict, 'orphaned');
});

t.test('a record whose owner is unknown is refused as a replay', async (t) => {
  const { prefix, redis: admin } = redisForTest(t);
  const a = await replica(t, prefix);
  const unknown = header();
  await admin.set(key(unknown), 'unknown', 'PX', 60_000);
  t.equal(await a.cache.admit(...unknown), 'replay');
});
