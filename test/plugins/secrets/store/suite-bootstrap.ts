/** Bootstrap secrets: created under a token, claimed exactly once, discarded, expired; races. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import type { KeyRing } from '../../../../src/plugins/secrets/store/index.js';
import type { FreshDatabase, StoreBackend } from './backend.js';
import { freshStore, inMinutes, storeOn } from './fixtures.js';

const childScript = fileURLToPath(new URL('./claim-child.ts', import.meta.url));

/** A claim-child.ts process, opened and waiting: `go()` starts its claims, resolving with the tokens it got. */
async function claimantProcess(db: FreshDatabase, keys: KeyRing, tokens: string[]): Promise<{ go(): Promise<string[]> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript], { stdio: ['pipe', 'pipe', 'inherit'], timeout: 60_000 });
  const replies = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextReply = async () => {
    const { value, done } = await replies.next();
    if (done) throw new Error(`claim child exited early (code ${child.exitCode})`);
    return JSON.parse(value as string) as unknown;
  };
  const keyFile = { keys: keys.keys.map((k) => ({ id: k.id, key: k.key.toString('base64') })) };
  child.stdin!.write(`${JSON.stringify({ url: db.url, options: db.options, keys: keyFile, tokens })}\n`);
  await nextReply();
  return {
    async go() {
      child.stdin!.end('"go"\n');
      return (await nextReply()) as string[];
    },
  };
}

/** Every token was claimed by exactly one of the claimants. */
function assertEachClaimedOnce(t: Test, tokens: string[], claimed: string[][]): void {
  const all = claimed.flat();
  t.equal(all.length, tokens.length, 'as many successful claims as tokens');
  t.same(new Set(all), new Set(tokens), 'every token claimed by someone');
}

export function bootstrapSuite(t: Test, backend: StoreBackend): void {
  t.test('bootstrap: claim once, discard, expiry', async (t) => {
    const { store } = await freshStore(t, backend);
    const data = { clientId: 'worker/1', accessToken: 'bootstrap-token-value' };
    const token = await store.createBootstrap(data, inMinutes(5), 'provisioner');
    t.match(token, /^[A-Za-z0-9_-]{43}$/, '256-bit URL-safe token');
    t.not(await store.createBootstrap(data, inMinutes(5), 'provisioner'), token, 'tokens are fresh');
    t.same(await store.claimBootstrap(token), data, 'the first claim gets the data');
    t.equal(await store.claimBootstrap(token), undefined, 'the second gets nothing');
    t.equal(await store.claimBootstrap('never-issued'), undefined, 'unknown token');

    const discarded = await store.createBootstrap(data, inMinutes(5), 'provisioner');
    t.equal(await store.discardBootstrap(discarded), true);
    t.equal(await store.discardBootstrap(discarded), false, 'already gone');
    t.equal(await store.claimBootstrap(discarded), undefined, 'a discarded entry cannot be claimed');

    const now = new Date();
    const expiring = await store.createBootstrap(data, inMinutes(1, now), 'provisioner');
    t.equal(await store.claimBootstrap(expiring, inMinutes(1, now)), undefined, 'expired at its expiry time');
    const swept = await store.createBootstrap(data, inMinutes(1, now), 'provisioner');
    t.equal(await store.sweepExpired('gateway', inMinutes(2, now)), 0, 'bootstrap entries are not counted as secrets');
    t.equal(await store.claimBootstrap(swept, now), undefined, 'the sweep deleted the expired entry');
  });

  t.test('bootstrap: concurrent claims from two stores give each entry to exactly one', async (t) => {
    const { db, keys, store } = await freshStore(t, backend);
    const other = await storeOn(t, db, keys);
    const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => store.createBootstrap({ i }, inMinutes(5), 'p')));
    const [mine, theirs] = await Promise.all([store, other].map(async (s) => {
      const claims = await Promise.all(tokens.map((token) => s.claimBootstrap(token)));
      return tokens.filter((_, i) => claims[i] !== undefined);
    }));
    assertEachClaimedOnce(t, tokens, [mine!, theirs!]);
  });

  t.test('bootstrap: concurrent claims from three processes give each entry to exactly one', async (t) => {
    const { db, keys, store } = await freshStore(t, backend);
    const tokens = await Promise.all(Array.from({ length: 300 }, (_, i) => store.createBootstrap({ i }, inMinutes(5), 'p')));
    const claimants = await Promise.all([1, 2, 3].map(() => claimantProcess(db, keys, tokens)));
    const claimed = await Promise.all(claimants.map((c) => c.go()));
    t.comment(`claims per process: ${claimed.map((c) => c.length).join(', ')}`);
    assertEachClaimedOnce(t, tokens, claimed);
  });
}
