/**
 * The SecretStore both databases share: encrypts on the way in, decrypts on the way out, makes
 * bootstrap tokens and continuation tokens, and rotates keys; the RowStore beneath only sees
 * ciphertext and token hashes.
 */
import { ConfigError } from '../../../config/settings.js';
import { seal, unseal } from './cipher.js';
import { HEARTBEATS_VALID, RotationRefused, differingKeys, fingerprintsOf, gatewaysBehind, holderOf, keysStillNeeded, writeKeyFor } from './key-agreement.js';
import { newestKey } from './keys.js';
import { ReadCache, type ReadCacheOptions, type ReadCacheStats } from './read-cache.js';
import { ringColumns, type PublishedRing, type RowStore, type SealedTable } from './rows.js';
import { decodeContinuation, encodeContinuation, hashBootstrapToken, newBootstrapToken } from './tokens.js';
import type { AuditEntry, EncryptionKey, GatewayIdentity, KeyedSecretStore, KeyRing, KeyStatus, Page, PageOptions, SecretRecord } from './types.js';

/** Rows re-encrypted per read during rotation. */
const ROTATION_BATCH = 100;
/** Passes over the tables: the later ones catch writes sealed under an older key just before it. */
const ROTATION_PASSES = 5;

/** The row identity bound into each ciphertext as additional authenticated data. */
function rowIdOf(table: SealedTable, id: string): string {
  return `${table}:${id}`;
}

function labelOf(table: SealedTable, id: string): string {
  // A token hash is not a secret, but nothing is gained by printing it.
  return table === 'secrets' ? `secret ${JSON.stringify(id)}` : 'a bootstrap entry';
}

function pageSize(limit: number): number {
  return Math.max(1, Math.floor(limit));
}

function asObject(value: unknown): Record<string, unknown> {
  return value as Record<string, unknown>;
}

const idList = (ring: KeyRing) => ring.keys.map((key) => `"${key.id}"`).join(', ');

/** Key ids among `ids` (by default every one) naming different keys in `ring` (called `name`) and `gateways`. */
function differingIn(name: string, ring: KeyRing, gateways: readonly PublishedRing[],
  ids = [...ring.keys.map((key) => key.id), ...gateways.flatMap((gateway) => gateway.keyIds)]): string[] {
  return differingKeys([{ name, fingerprints: fingerprintsOf(ring) }, ...gateways.map(holderOf)], ids);
}

export class SealedSecretStore implements KeyedSecretStore {
  private keys: KeyRing;
  /** The key new rows are sealed with (key-agreement.ts writeKeyFor). */
  private writeKey: EncryptionKey;
  private ringWork: Promise<void> = Promise.resolve();
  private closed: Promise<void> | undefined;
  /** Decrypted secrets (read-cache.ts); undefined when the cache is off. */
  private readonly cache: ReadCache | undefined;

  /**
   * A store serving a gateway publishes its ring as `gateway`; an admin tool's store does not.
   * With `cache` (entries above 0), reads are served from memory while the database's change
   * feed vouches for them.
   */
  constructor(private readonly rows: RowStore, keys: KeyRing, private readonly gateway?: GatewayIdentity, cache?: ReadCacheOptions) {
    this.keys = keys;
    this.writeKey = newestKey(keys);
    this.cache = cache && cache.entries > 0 ? new ReadCache(cache, rows.changeFeed()) : undefined;
  }

  /** The read cache's counts; undefined when it is off. */
  get cacheStats(): ReadCacheStats | undefined {
    return this.cache?.stats;
  }

  get keyIds(): string[] {
    return this.keys.keys.map((key) => key.id);
  }

  useKeys(ring: KeyRing): Promise<void> {
    newestKey(ring); // an empty ring is refused before anything else
    return this.oneAtATime(async () => {
      const [usage, others] = await Promise.all([this.rows.keyUsage(), this.otherGateways()]);
      const needed = keysStillNeeded(ring.keys.map((key) => key.id), usage, others);
      if (needed.length > 0) {
        throw new ConfigError(`key ring ${idList(ring)} refused: ${needed.join('; ')}. Keep every such key until secrets rotate-keys has moved its rows`);
      }
      // Only this ring's ids: a disagreement among other gateways alone is not this ring's fault.
      const differing = differingIn('this ring', ring, others, ring.keys.map((key) => key.id));
      if (differing.length > 0) {
        throw new ConfigError(`key ring ${idList(ring)} refused: ${differing.join('; ')}. A key id must name the same key in every keys file: copy that key from the other gateways' file, or give this one a new id`);
      }
      this.keys = ring;
      this.writeKey = writeKeyFor(ring, others);
      await this.publish();
    });
  }

  publishRing(): Promise<void> {
    return this.oneAtATime(async () => {
      const others = await this.otherGateways();
      this.writeKey = writeKeyFor(this.keys, others);
      await this.publish();
    });
  }

  /**
   * Ring changes and heartbeats in turn: a heartbeat that read the other gateways before a
   * reload must not pick its write key from the ring the reload replaced, nor publish after it.
   */
  private oneAtATime(work: () => Promise<void>): Promise<void> {
    const done = this.ringWork.then(work);
    this.ringWork = done.catch(() => undefined);
    return done;
  }

  async keyStatus(): Promise<KeyStatus> {
    const [usage, gateways] = await Promise.all([this.rows.keyUsage(), this.rows.liveRings()]);
    return { keyIds: this.keyIds, usage, gateways, differing: differingIn(this.ringName, this.keys, this.othersIn(gateways)) };
  }

  private get ringName(): string {
    return this.gateway ? `gateway ${this.gateway.id}` : 'the keys file';
  }

  private async otherGateways(): Promise<PublishedRing[]> {
    return this.othersIn(await this.rows.liveRings());
  }

  private othersIn(live: readonly PublishedRing[]): PublishedRing[] {
    return live.filter((entry) => entry.gatewayId !== this.gateway?.id);
  }

  private async publish(): Promise<void> {
    if (!this.gateway) return;
    await this.rows.publishRing(this.gateway.id, ringColumns(this.keyIds, fingerprintsOf(this.keys)), this.writeKey.id, this.gateway.heartbeatSec * HEARTBEATS_VALID);
  }

  put(name: string, secret: Record<string, unknown>, expires: Date, clientId: string): Promise<'created' | 'updated'> {
    const sealed = seal(this.writeKey, rowIdOf('secrets', name), secret);
    return this.changing(name, () => this.rows.upsertSecret(name, { sealed, expires }, clientId, new Date()));
  }

  async get(name: string, now = new Date()): Promise<SecretRecord | undefined> {
    const cached = this.cache?.lookup(name, now);
    if (cached) return cached;
    const ticket = this.cache?.ticket();
    const stored = await this.rows.readSecret(name, now);
    if (!stored) return undefined;
    const secret = asObject(unseal(this.keys, rowIdOf('secrets', name), stored.sealed, labelOf('secrets', name)));
    const record = { name, secret, expires: stored.expires };
    return this.cache && ticket !== undefined ? this.cache.fill(ticket, record, stored.sealed.value.length, now) : record;
  }

  remove(name: string, clientId: string): Promise<boolean> {
    return this.changing(name, () => this.rows.deleteSecret(name, clientId, new Date()));
  }

  /**
   * A change made here is seen here at once, whatever the feed: the name is dropped before (a
   * read in flight then fills nothing) and after (whether or not the change was made).
   */
  private async changing<T>(name: string, change: () => Promise<T>): Promise<T> {
    this.cache?.invalidate(name);
    try {
      return await change();
    } finally {
      this.cache?.invalidate(name);
    }
  }

  async list(options: PageOptions): Promise<Page<string>> {
    const limit = pageSize(options.limit);
    // One extra row tells whether another page exists, so the last page carries no token.
    const names = await this.rows.listNames(decodeContinuation(options.continuationToken, 'string'), limit + 1);
    if (names.length <= limit) return { items: names };
    const items = names.slice(0, limit);
    return { items, continuationToken: encodeContinuation(items[limit - 1]!) };
  }

  async auditHistory(name: string, options: PageOptions): Promise<Page<AuditEntry>> {
    const limit = pageSize(options.limit);
    const rows = await this.rows.auditRows(name, decodeContinuation(options.continuationToken, 'number'), limit + 1);
    const items = rows.slice(0, limit).map(({ id: _id, ...entry }) => entry);
    if (rows.length <= limit) return { items };
    return { items, continuationToken: encodeContinuation(rows[limit - 1]!.id) };
  }

  sweepExpired(clientId: string, now = new Date()): Promise<number> {
    return this.rows.deleteExpired(clientId, now);
  }

  async createBootstrap(data: Record<string, unknown>, expires: Date, clientId: string): Promise<string> {
    const token = newBootstrapToken();
    const tokenHash = hashBootstrapToken(token);
    const sealed = seal(this.writeKey, rowIdOf('bootstrap', tokenHash), data);
    await this.rows.insertBootstrap(tokenHash, { sealed, expires }, clientId, new Date());
    return token;
  }

  async claimBootstrap(token: string, now = new Date()): Promise<Record<string, unknown> | undefined> {
    const tokenHash = hashBootstrapToken(token);
    // Taken even when expired: an expired entry is gone either way.
    const stored = await this.rows.takeBootstrap(tokenHash);
    if (!stored || stored.expires.getTime() <= now.getTime()) return undefined;
    return asObject(unseal(this.keys, rowIdOf('bootstrap', tokenHash), stored.sealed, labelOf('bootstrap', tokenHash)));
  }

  discardBootstrap(token: string): Promise<boolean> {
    return this.rows.deleteBootstrap(hashBootstrapToken(token));
  }

  async rotateKeys(): Promise<number> {
    const newest = newestKey(this.keys);
    const [usage, live] = await Promise.all([this.rows.keyUsage(), this.rows.liveRings()]);
    const needed = keysStillNeeded(this.keyIds, usage, []);
    if (needed.length > 0) throw new RotationRefused(`the keys file lacks keys still in use (${needed.join('; ')}): put them back first`);
    // Rows sealed under one of two keys sharing an id are unreadable to the holders of the other.
    const differing = differingIn(this.ringName, this.keys, this.othersIn(live));
    if (differing.length > 0) throw new RotationRefused(`not rotating: ${differing.join('; ')}: a key id must name the same key in every keys file`);
    const behind = gatewaysBehind(newest.id, live);
    if (behind.length > 0) throw new RotationRefused(`not rotating: ${behind.join('; ')}`);
    let rewritten = 0;
    for (let pass = 0; pass < ROTATION_PASSES; pass += 1) {
      const { found, resealed } = await this.rotationPass(newest);
      rewritten += resealed;
      if (found === 0) return rewritten;
    }
    throw new RotationRefused(`rows under older keys kept appearing after ${ROTATION_PASSES} passes (${rewritten} rewritten): run rotate-keys again`);
  }

  /** Re-encrypts every row not under `newest`; a row a concurrent write replaced is left to it. */
  private async rotationPass(newest: EncryptionKey): Promise<{ found: number; resealed: number }> {
    let found = 0;
    let resealed = 0;
    for (const table of ['secrets', 'bootstrap'] as const) {
      let after: string | undefined;
      for (;;) {
        const batch = await this.rows.rowsNotUnder(table, newest.id, after, ROTATION_BATCH);
        found += batch.length;
        for (const row of batch) {
          const rowId = rowIdOf(table, row.id);
          const value = unseal(this.keys, rowId, row.sealed, labelOf(table, row.id));
          if (await this.rows.reseal(table, row.id, row.sealed, seal(newest, rowId, value))) resealed += 1;
        }
        if (batch.length < ROTATION_BATCH) break;
        after = batch[batch.length - 1]!.id;
      }
    }
    return { found, resealed };
  }

  ping(): Promise<void> {
    return this.rows.ping();
  }

  /** Once; later calls wait for the first. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      // Best effort: an entry left behind expires after HEARTBEATS_VALID heartbeats anyway.
      if (this.gateway) await this.rows.retractRing(this.gateway.id).catch(() => undefined);
      await this.cache?.close();
      await this.rows.close();
    })();
    return this.closed;
  }
}
