/**
 * The SecretStore both databases share: encrypts on the way in, decrypts on the way out, makes
 * bootstrap tokens and continuation tokens, and rotates keys; the RowStore beneath only sees
 * ciphertext and token hashes.
 */
import { seal, unseal } from './cipher.js';
import { newestKey } from './keys.js';
import type { RowStore, SealedTable } from './rows.js';
import { decodeContinuation, encodeContinuation, hashBootstrapToken, newBootstrapToken } from './tokens.js';
import type { AuditEntry, KeyRing, Page, PageOptions, SecretRecord, SecretStore } from './types.js';

/** Rows re-encrypted per read during rotation. */
const ROTATION_BATCH = 100;

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

export class SealedSecretStore implements SecretStore {
  constructor(private readonly rows: RowStore, private readonly keys: KeyRing) {}

  put(name: string, secret: Record<string, unknown>, expires: Date, clientId: string): Promise<'created' | 'updated'> {
    const sealed = seal(this.keys, rowIdOf('secrets', name), secret);
    return this.rows.upsertSecret(name, { sealed, expires }, clientId, new Date());
  }

  async get(name: string, now = new Date()): Promise<SecretRecord | undefined> {
    const stored = await this.rows.readSecret(name, now);
    if (!stored) return undefined;
    const secret = asObject(unseal(this.keys, rowIdOf('secrets', name), stored.sealed, labelOf('secrets', name)));
    return { name, secret, expires: stored.expires };
  }

  remove(name: string, clientId: string): Promise<boolean> {
    return this.rows.deleteSecret(name, clientId, new Date());
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
    const sealed = seal(this.keys, rowIdOf('bootstrap', tokenHash), data);
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
    const current = newestKey(this.keys).id;
    let rewritten = 0;
    for (const table of ['secrets', 'bootstrap'] as const) {
      let after: string | undefined;
      for (;;) {
        const batch = await this.rows.rowsNotUnder(table, current, after, ROTATION_BATCH);
        for (const row of batch) {
          const rowId = rowIdOf(table, row.id);
          const value = unseal(this.keys, rowId, row.sealed, labelOf(table, row.id));
          if (await this.rows.reseal(table, row.id, row.sealed, seal(this.keys, rowId, value))) rewritten += 1;
        }
        if (batch.length < ROTATION_BATCH) break;
        after = batch[batch.length - 1]!.id;
      }
    }
    return rewritten;
  }

  ping(): Promise<void> {
    return this.rows.ping();
  }

  close(): Promise<void> {
    return this.rows.close();
  }
}
