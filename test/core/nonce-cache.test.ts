// The nonce cache's table (typed arrays, keyed fingerprints): the same verdicts as the rules
// written plainly (test/helpers/nonce-model.ts), and a collision of fingerprints may only ever
// refuse a fresh header, never admit a replay. The rules themselves: test/core/hawk.test.ts.
import fc from 'fast-check';
import t from 'tap';
import { NonceCache, keyedFingerprint, type Fingerprint } from '../../src/core/index.js';
import { NonceModel } from '../helpers/nonce-model.js';

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
/** A fingerprint with the low half (the table position) chosen and the high half from the triple: collisions of position only. */
const positioned = (low: (clientId: string, nonce: string, ts: string) => number): Fingerprint => {
  const exact = keyedFingerprint('test');
  return (clientId, nonce, ts) => `${exact(clientId, nonce, ts).slice(0, 8)}${hex8(low(clientId, nonce, ts))}`;
};

const admission = fc.record({
  client: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
  nonce: fc.integer({ min: 0, max: 12 }).map(String),
  ts: fc.integer({ min: 0, max: 40 }),
  step: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 900, max: 1200 })),
});

t.test('the same verdict as the rules written plainly, admission after admission', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.array(admission, { maxLength: 200 }), (maxEntries, steps) => {
    const cache = new NonceCache(1000, maxEntries);
    const model = new NonceModel(1000, maxEntries);
    let now = 10_000;
    for (const { client, nonce, ts, step } of steps) {
      now += step;
      const stamp = String(Math.floor(now / 1000) - 20 + ts);
      if (cache.admitNow(client, nonce, stamp, now) !== model.admit(client, nonce, stamp, now)) return false;
    }
    return true;
  }), { numRuns: 400 });
  t.pass('400 generated sequences agree');
});

t.test('with fingerprints that collide, a replay is still never admitted; only fresh headers may be refused', async (t) => {
  // 4 fingerprints in all, or each triple alone in one table position: collisions of every kind
  const few: Fingerprint = (clientId, nonce, ts) => `0000000${(clientId.length + nonce.length + Number(ts)) % 4}00000001`;
  const one = positioned(() => 7);
  for (const [name, fingerprint] of [['4 fingerprints', few], ['one table position', one]] as const) {
    let refusedFresh = 0;
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.array(admission, { maxLength: 200 }), (maxEntries, steps) => {
      const cache = new NonceCache(1000, maxEntries, fingerprint);
      const admittedAt = new Map<string, number>();
      let now = 10_000;
      for (const { client, nonce, ts, step } of steps) {
        now += step;
        const stamp = String(Math.floor(now / 1000) - 20 + ts);
        const triple = JSON.stringify([client, nonce, stamp]);
        const before = admittedAt.get(triple);
        const replay = before !== undefined && before + 1000 > now;
        if (cache.admitNow(client, nonce, stamp, now)) {
          if (replay) return false;
          admittedAt.set(triple, now);
        } else if (!replay) refusedFresh += 1;
      }
      return true;
    }), { numRuns: 300 });
    t.ok(refusedFresh > 0, `${name}: no replay admitted; fresh headers refused by collision or floor: ${refusedFresh}`);
  }
});

t.test('a header forgotten at the bound stays refused for the whole window, whatever its timestamp', async (t) => {
  // fast-check's counterexample (seed -676960074): the floor that replaced the entry was swept by
  // its timestamp, 20 s old, in the same admission, and the replay came straight back in
  const cache = new NonceCache(1000, 1);
  t.ok(cache.admitNow('a', '0', '80', 100_000));
  t.ok(cache.admitNow('a', '0', '81', 100_000), 'the bound forgets the first, raising the floor to 80');
  t.notOk(cache.admitNow('a', '0', '80', 100_000), 'the replay is refused');
  t.notOk(cache.admitNow('a', '0', '80', 100_999), 'until the window of its admission has passed');
  t.ok(cache.admitNow('a', '0', '80', 101_000), 'then the floor guards no longer (the skew check refuses such a header first)');
});

t.test('two triples of one fingerprint: the second is refused, the first stays refused, both are admitted after the window', async (t) => {
  const cache = new NonceCache(1000, 10, () => '0123456789abcdef');
  t.ok(cache.admitNow('a', 'n1', '5', 0));
  t.notOk(cache.admitNow('b', 'n2', '5', 1), "another client's header of the same fingerprint is refused");
  t.notOk(cache.admitNow('a', 'n1', '5', 2), 'the replay is refused');
  t.ok(cache.admitNow('b', 'n2', '5', 1000), 'once the first has expired, the second is admitted');
  t.notOk(cache.admitNow('a', 'n1', '5', 1001), 'and is remembered as well');
});

t.test('probe chains that wrap past the end of the table survive deletions in their middle', async (t) => {
  // 1024 slots, a table of 2048: positions 2046, 2047 then 0, 1, ... by wraparound
  const home = new Map<string, number>();
  const cache = new NonceCache(1000, 1024, positioned((_c, nonce) => home.get(nonce) ?? 5));
  for (let i = 0; i < 8; i += 1) home.set(`w${i}`, 2046);
  for (let i = 0; i < 4; i += 1) home.set(`z${i}`, 0);
  // w0..w3 early, so they expire first and leave holes in the chain; then z0..z3 (home 0, pushed on by the chain), w4..w7
  for (let i = 0; i < 4; i += 1) t.ok(cache.admitNow('k', `w${i}`, '1', 0));
  for (let i = 0; i < 4; i += 1) t.ok(cache.admitNow('k', `z${i}`, '1', 500));
  for (let i = 4; i < 8; i += 1) t.ok(cache.admitNow('k', `w${i}`, '1', 500));
  t.ok(cache.admitNow('k', 'other', '1', 1000), 'an admission at 1000 drops w0..w3');
  for (let i = 4; i < 8; i += 1) t.notOk(cache.admitNow('k', `w${i}`, '1', 1001), `w${i} is still found across the wrap`);
  for (let i = 0; i < 4; i += 1) t.notOk(cache.admitNow('k', `z${i}`, '1', 1001), `z${i} (home 0) is still found`);
  for (let i = 0; i < 4; i += 1) t.ok(cache.admitNow('k', `w${i}`, '1', 1002), `w${i}, expired, is admitted again`);
  t.ok(cache.admitNow('k', 'later', '1', 1600), 'an admission at 1600 drops everything admitted at 500');
  for (let i = 0; i < 4; i += 1) t.notOk(cache.admitNow('k', `w${i}`, '1', 1601), `w${i} (again) is still found`);
});

t.test('slots are reused far past the capacity, and the bound holds as the arrays grow', async (t) => {
  const cache = new NonceCache(10_000, 3000);
  let admitted = 0;
  // 60,000 admissions, 20 times the bound, 3 clients, 1 ms apart: expiry and the bound both at work
  for (let i = 0; i < 60_000; i += 1) if (cache.admitNow(`c${i % 3}`, `n${i}`, String(100 + i), i)) admitted += 1;
  t.equal(admitted, 60_000, 'every fresh header admitted');
  let remembered = 0;
  for (let i = 60_000 - 2999; i < 60_000; i += 1) if (!cache.admitNow(`c${i % 3}`, `n${i}`, String(100 + i), 60_000)) remembered += 1;
  t.equal(remembered, 2999, 'the newest 2999 (the bound less the admission that makes room) are all remembered');
});

t.test('many clients, one flooding: the others keep every entry, only the flooder forgets', async (t) => {
  const cache = new NonceCache(30 * 60 * 1000, 5000);
  const now = 1_800_000_000_000;
  const ts = String(now / 1000);
  let first = 0;
  for (let c = 0; c < 1000; c += 1) for (let n = 0; n < 3; n += 1) if (cache.admitNow(`client/${c}`, `n${n}`, ts, now)) first += 1;
  t.equal(first, 3000, '1000 clients sign 3 headers each');
  let flooded = 0;
  for (let i = 0; i < 20_000; i += 1) if (cache.admitNow('flooder', `f${i}`, String(now / 1000 + 1 + Math.floor(i / 100)), now + 1)) flooded += 1;
  t.equal(flooded, 20_000);
  let kept = 0;
  for (let c = 0; c < 1000; c += 1) for (let n = 0; n < 3; n += 1) if (!cache.admitNow(`client/${c}`, `n${n}`, ts, now + 2)) kept += 1;
  t.equal(kept, 3000, "all 3000 of the other clients' entries are remembered");
  t.ok(cache.admitNow('client/7', 'fresh', ts, now + 2), 'and their fresh headers of the same second are admitted');
  t.notOk(cache.admitNow('flooder', 'f0', String(now / 1000 + 1), now + 2), "the flooder's forgotten header is refused by its floor");
});

t.test('the keyed fingerprint: no two triples read as one text, and another cache draws another key', async (t) => {
  const f = keyedFingerprint('k');
  const triples: Array<[string, string, string]> = [['ab', 'c', '1'], ['a', 'bc', '1'], ['a', 'b', 'c1'], ['a1', '', '1'], ['1:a', '1', '1'], ['1', 'a1', '1'], ['', '1:a1', '1']];
  t.equal(new Set(triples.map((x) => f(...x))).size, triples.length, 'every split of the same characters has its own fingerprint');
  t.match(f('a', 'b', '1'), /^[0-9a-f]{64}$/);
  t.not(keyedFingerprint()('a', 'b', '1'), keyedFingerprint()('a', 'b', '1'), 'two caches, two keys');
  t.not(keyedFingerprint('k')('a', 'b', '1'), keyedFingerprint('l')('a', 'b', '1'));
});
