/**
 * The Hawk nonce cache of one process, kept in typed arrays: no heap object per nonce. At its
 * bound (100,000 entries) a cache of one object and one string per nonce cost 4-6 µs of a signed
 * request, mostly the GC copying and promoting what every admission keeps for 30 minutes
 * (bench/results/secrets.md); here an entry is a few numbers in preallocated arrays.
 */
import { hash, randomBytes } from 'node:crypto';

export const HAWK_SKEW_SEC = 15 * 60;

/** How long a header nonce is remembered: a header stamped at the edge of the skew window stays valid this long. */
export const NONCE_WINDOW_MS = 2 * HAWK_SKEW_SEC * 1000;

/**
 * What a nonce store says of a header: `admitted` the first time (clientId, nonce, ts) is seen
 * within the window. Any other header is refused; a store only says how: `orphaned` when the
 * header was taken by a replica that stopped before answering (the balancer passing the same
 * request on to the next replica; replicas sharing Redis only), `replay` otherwise.
 */
export type NonceVerdict = 'admitted' | 'replay' | 'orphaned';

/**
 * Where the nonces of accepted Hawk headers are remembered for the skew window, so a captured
 * header cannot be replayed: in this process, or shared by replicas (through Redis).
 */
export interface NonceStore {
  /**
   * `admitted` the first time (clientId, nonce, ts) is seen within the window. A store in this
   * process answers at once, one shared through the network with a promise.
   */
  admit(clientId: string, nonce: string, ts: string, now?: number): NonceVerdict | Promise<NonceVerdict>;
}

/**
 * The identity of (clientId, nonce, ts) as at least 16 hex digits (64 bits). Two triples with one
 * fingerprint are one entry to the cache: the second is refused as a replay of the first, so a
 * collision can only ever refuse a fresh header, never admit a replayed one (whose fingerprint is
 * its original's).
 */
export type Fingerprint = (clientId: string, nonce: string, ts: string) => string;

/**
 * SHA-256 (node:crypto's one-shot `hash`, a third of `createHmac`'s cost here) over a random
 * secret drawn per cache followed by the triple, length-prefixed so that no two triples are the
 * same text. A client cannot aim a collision at another client's entries, nor lengthen a probe
 * chain of the table: without the secret the fingerprints are unpredictable, and no fingerprint
 * ever leaves the process (length extension needs a known digest). Collisions by chance: ~2^-47
 * per header with the cache full.
 */
export function keyedFingerprint(secret = randomBytes(32).toString('base64')): Fingerprint {
  return (clientId, nonce, ts) => hash('sha256', `${secret}${clientId.length}:${clientId}${nonce.length}:${nonce}${ts}`, 'hex');
}

/** One client's entries, oldest first (a list through the entry arrays), and how many. */
interface ClientEntries { clientId: string; oldest: number; newest: number; live: number }

const NONE = -1;
const INITIAL_CAPACITY = 1024;

/**
 * Bounded: past `maxEntries` an entry of the client holding the most is forgotten, its oldest, and
 * so that forgetting never reopens a replay, that client's floor rises to the entry's timestamp:
 * its headers stamped at or before it are refused from then on. A client flooding the cache only
 * pushes its own floor (forgetting the oldest entry of whichever client made it once raised the
 * floors of the clients that signed before a flood: their fresh headers stamped in the same
 * second, or by a clock behind, were refused as replays).
 *
 * Layout: entry `e` is slot `e` of the arrays (its fingerprint's two halves, expiry, timestamp,
 * client), on two doubly linked lists: all entries in the order admitted (expiry takes from the
 * front) and its client's (the bound takes its client's front). An open-addressing table (linear
 * probing, deletion by backward shift: no tombstones) finds an entry by fingerprint. Slots are
 * reused through a free list; the arrays grow by doubling up to `maxEntries`.
 */
export class NonceCache implements NonceStore {
  private capacity = 0;
  private high = new Uint32Array(0);
  private low = new Uint32Array(0);
  private expiresAt = new Float64Array(0);
  private stamp = new Float64Array(0);
  private owner: Array<ClientEntries | undefined> = [];
  /** Admission order: previous, next (NONE at the ends); `next` also links the free slots. */
  private older = new Int32Array(0);
  private newer = new Int32Array(0);
  private clientOlder = new Int32Array(0);
  private clientNewer = new Int32Array(0);
  /** slot + 1 per table position, 0 where empty; a power of two, at least twice the capacity. */
  private table = new Int32Array(0);
  private mask = 0;
  private free = NONE;
  private oldest = NONE;
  private newest = NONE;
  private size = 0;
  private readonly clients = new Map<string, ClientEntries>();
  /**
   * The client the bound forgets from: made the one holding the most whenever an admission makes
   * a client hold more than it; looked for again among all once it holds none.
   */
  private heaviest: ClientEntries | undefined;
  /**
   * Per client: the latest timestamp (seconds) of a nonce forgotten while still live, and until
   * when (ms) the latest of those would have been remembered: the floor guards no longer.
   */
  private readonly floors = new Map<string, { stamp: number; until: number }>();
  private floorsSweptAt = 0;

  constructor(
    private readonly windowMs = NONCE_WINDOW_MS,
    private readonly maxEntries = 100_000,
    private readonly fingerprint: Fingerprint = keyedFingerprint(),
  ) {
    this.grow();
  }

  admit(clientId: string, nonce: string, ts: string, now = Date.now()): NonceVerdict {
    return this.admitNow(clientId, nonce, ts, now) ? 'admitted' : 'replay';
  }

  /** admit, answered at once: for a cache layered over this one. Also refuses ts at or below the client's floor. */
  admitNow(clientId: string, nonce: string, ts: string, now = Date.now()): boolean {
    const stamp = Number(ts);
    const floor = this.floors.get(clientId);
    if (floor !== undefined && stamp <= floor.stamp && now < floor.until) return false;
    const print = this.fingerprint(clientId, nonce, ts);
    const high = parseInt(print.slice(0, 8), 16) >>> 0;
    const low = parseInt(print.slice(8, 16), 16) >>> 0;
    const found = this.find(high, low);
    if (found !== NONE) {
      if (this.expiresAt[found]! > now) return false;
      this.forget(found);
    }
    this.prune(now);
    if (this.free === NONE) this.grow();
    const slot = this.free;
    this.free = this.newer[slot]!;
    this.high[slot] = high;
    this.low[slot] = low;
    this.expiresAt[slot] = now + this.windowMs;
    this.stamp[slot] = stamp;
    let own = this.clients.get(clientId);
    if (!own) this.clients.set(clientId, (own = { clientId, oldest: NONE, newest: NONE, live: 0 }));
    this.owner[slot] = own;
    this.older[slot] = this.newest;
    this.newer[slot] = NONE;
    if (this.newest === NONE) this.oldest = slot;
    else this.newer[this.newest] = slot;
    this.newest = slot;
    this.clientOlder[slot] = own.newest;
    this.clientNewer[slot] = NONE;
    if (own.newest === NONE) own.oldest = slot;
    else this.clientNewer[own.newest] = slot;
    own.newest = slot;
    own.live += 1;
    this.place(slot);
    this.size += 1;
    if (own.live > (this.heaviest?.live ?? 0)) this.heaviest = own;
    return true;
  }

  /** The slot holding this fingerprint, or NONE. */
  private find(high: number, low: number): number {
    for (let at = low & this.mask; ; at = (at + 1) & this.mask) {
      const held = this.table[at]!;
      if (held === 0) return NONE;
      if (this.low[held - 1] === low && this.high[held - 1] === high) return held - 1;
    }
  }

  private place(slot: number): void {
    let at = this.low[slot]! & this.mask;
    while (this.table[at] !== 0) at = (at + 1) & this.mask;
    this.table[at] = slot + 1;
  }

  /** Takes a slot out of the table, moving back the entries after it that probing would no longer reach. */
  private unplace(slot: number): void {
    let hole = this.low[slot]! & this.mask;
    while (this.table[hole] !== slot + 1) hole = (hole + 1) & this.mask;
    for (let at = (hole + 1) & this.mask; this.table[at] !== 0; at = (at + 1) & this.mask) {
      const home = this.low[this.table[at]! - 1]! & this.mask;
      // the entry at `at` may fill the hole when its home is not cyclically within (hole, at]
      if (((at - home) & this.mask) >= ((at - hole) & this.mask)) {
        this.table[hole] = this.table[at]!;
        hole = at;
      }
    }
    this.table[hole] = 0;
  }

  /** Forgets an entry: out of the table, both lists, its client (gone with its last entry); its slot freed. */
  private forget(slot: number): void {
    this.unplace(slot);
    const before = this.older[slot]!;
    const after = this.newer[slot]!;
    if (before === NONE) this.oldest = after;
    else this.newer[before] = after;
    if (after === NONE) this.newest = before;
    else this.older[after] = before;
    const own = this.owner[slot]!;
    const clientBefore = this.clientOlder[slot]!;
    const clientAfter = this.clientNewer[slot]!;
    if (clientBefore === NONE) own.oldest = clientAfter;
    else this.clientNewer[clientBefore] = clientAfter;
    if (clientAfter === NONE) own.newest = clientBefore;
    else this.clientOlder[clientAfter] = clientBefore;
    own.live -= 1;
    if (own.live === 0) {
      this.clients.delete(own.clientId);
      if (this.heaviest === own) this.heaviest = undefined;
    }
    this.owner[slot] = undefined;
    this.newer[slot] = this.free;
    this.free = slot;
    this.size -= 1;
  }

  /** Drop expired entries, oldest first, then past the bound the oldest of the heaviest client: O(dropped). */
  private prune(now: number): void {
    while (this.oldest !== NONE && this.expiresAt[this.oldest]! <= now) this.forget(this.oldest);
    while (this.size >= this.maxEntries) {
      const own = this.heaviest ?? (this.heaviest = this.mostEntries());
      const slot = own.oldest;
      const held = this.floors.get(own.clientId);
      this.floors.set(own.clientId, { stamp: Math.max(held?.stamp ?? -Infinity, this.stamp[slot]!), until: Math.max(held?.until ?? 0, this.expiresAt[slot]!) });
      this.forget(slot);
    }
    // a floor stands as long as the entries it replaced would have: an admitted header stays
    // refused for the whole window whatever its timestamp, not only when the caller's skew check
    // runs first (a floor judged by its timestamp alone was swept while a replay of what it
    // replaced was still inside the window); swept at most once a second, so admits after a
    // flood do not walk every floor
    if (this.floors.size > 0 && now - this.floorsSweptAt >= 1000) {
      this.floorsSweptAt = now;
      for (const [clientId, floor] of this.floors) if (floor.until <= now) this.floors.delete(clientId);
    }
  }

  private mostEntries(): ClientEntries {
    let most: ClientEntries | undefined;
    for (const own of this.clients.values()) if (!most || own.live > most.live) most = own;
    return most!;
  }

  /** Doubles the slots (up to maxEntries) and the table, re-placing every live entry; the new slots join the free list. */
  private grow(): void {
    const from = this.capacity;
    const capacity = Math.max(1, Math.min(this.maxEntries, Math.max(INITIAL_CAPACITY, from * 2)));
    const widened = <T extends Uint32Array | Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.high = widened(this.high, (n) => new Uint32Array(n));
    this.low = widened(this.low, (n) => new Uint32Array(n));
    this.expiresAt = widened(this.expiresAt, (n) => new Float64Array(n));
    this.stamp = widened(this.stamp, (n) => new Float64Array(n));
    this.older = widened(this.older, (n) => new Int32Array(n));
    this.newer = widened(this.newer, (n) => new Int32Array(n));
    this.clientOlder = widened(this.clientOlder, (n) => new Int32Array(n));
    this.clientNewer = widened(this.clientNewer, (n) => new Int32Array(n));
    this.owner.length = capacity;
    for (let slot = capacity - 1; slot >= from; slot--) {
      this.newer[slot] = this.free;
      this.free = slot;
    }
    this.capacity = capacity;
    let tableSize = 1;
    while (tableSize < capacity * 2) tableSize *= 2;
    this.table = new Int32Array(tableSize);
    this.mask = tableSize - 1;
    for (let slot = this.oldest; slot !== NONE; slot = this.newer[slot]!) this.place(slot);
  }
}
