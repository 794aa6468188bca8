/**
 * Decrypted secrets kept in process, so a hot read costs no database round trip, no decryption
 * and no JSON parse. Bounded by count and bytes, each entry for at most a TTL and never past its
 * secret's expiry. It answers only while its database's change feed says every change committed
 * elsewhere has reached it (PostgreSQL: the LISTEN connection is up and answering; SQLite: the
 * file's change counter is unchanged, or the cache was just flushed); otherwise reads go to the
 * database. Bootstrap entries never come here.
 *
 * A read that was already on its way to the database when a change arrived does not fill the
 * cache with what it read (`ticket` / `fill`): what it read may predate the change.
 */
import { LRUCache } from 'lru-cache';
import type { SecretRecord } from './types.js';

export interface ReadCacheOptions {
  /** Most secrets kept; 0 = no cache. */
  entries: number;
  /** Most bytes kept (ciphertext size of each value plus its name). */
  maxBytes: number;
  /** Longest an entry is kept, in milliseconds. */
  ttlMs: number;
}

export const READ_CACHE_DEFAULTS: ReadCacheOptions = { entries: 10_000, maxBytes: 64 * 1024 * 1024, ttlMs: 5 * 60 * 1000 };

/** Where a cache learns what changed: one name, or everything. */
export interface ChangeSink {
  invalidate(name: string): void;
  flush(): void;
}

/** A database's stream of changes made by other processes (rows.ts RowStore.changeFeed). */
export interface ChangeFeed {
  /** Starts delivering changes to `sink`. */
  subscribe(sink: ChangeSink): void;
  /**
   * True when every change committed elsewhere until now has reached the sink, so the cache may
   * answer; false while that is not known (the feed is down). May flush the sink first.
   */
  current(): boolean;
  close(): Promise<void>;
}

/** Counts since start, for metrics and tests. */
export interface ReadCacheStats {
  hits: number;
  misses: number;
  /** Reads that could not use the cache because the change feed was not current. */
  bypassed: number;
  /** Names dropped because they changed, plus whole flushes. */
  invalidations: number;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export class ReadCache implements ChangeSink {
  private readonly entries: LRUCache<string, SecretRecord>;
  /** Raised by every invalidation: a fill whose ticket is older may hold what changed. */
  private epoch = 0;
  readonly stats: ReadCacheStats = { hits: 0, misses: 0, bypassed: 0, invalidations: 0 };

  constructor(options: ReadCacheOptions, private readonly feed: ChangeFeed) {
    this.entries = new LRUCache<string, SecretRecord>({
      max: options.entries,
      maxSize: options.maxBytes,
      ttl: options.ttlMs,
    });
    feed.subscribe(this);
  }

  /** A live cached record, or undefined: not cached, expired, or the cache cannot answer now. */
  lookup(name: string, now: Date): SecretRecord | undefined {
    if (!this.feed.current()) {
      this.stats.bypassed++;
      return undefined;
    }
    const record = this.entries.get(name);
    if (record && record.expires.getTime() > now.getTime()) {
      this.stats.hits++;
      return record;
    }
    if (record) this.entries.delete(name);
    this.stats.misses++;
    return undefined;
  }

  /** Taken before reading from the database; `fill` needs it. */
  ticket(): number {
    return this.epoch;
  }

  /**
   * Keeps what a read found (frozen: every later reader shares it) unless something changed
   * since `ticket` or the feed cannot vouch for it now. `bytes`: the stored value's size.
   */
  fill(ticket: number, record: SecretRecord, bytes: number, now: Date): SecretRecord {
    deepFreeze(record);
    const left = record.expires.getTime() - now.getTime();
    // current() first: it may flush, which raises the epoch
    if (left > 0 && this.feed.current() && ticket === this.epoch) {
      this.entries.set(record.name, record, { size: Math.max(1, bytes + record.name.length), ttl: Math.min(left, this.entries.ttl) });
    }
    return record;
  }

  invalidate(name: string): void {
    this.epoch++;
    this.stats.invalidations++;
    this.entries.delete(name);
  }

  flush(): void {
    this.epoch++;
    this.stats.invalidations++;
    this.entries.clear();
  }

  close(): Promise<void> {
    this.entries.clear();
    return this.feed.close();
  }
}
