/**
 * What a database backend provides: rows holding only ciphertext (Sealed), names, times and
 * audit rows. Encryption, tokens and paging live above it (SealedSecretStore), once for both
 * databases. Every method that changes a secret writes its audit row in the same transaction.
 */
import type { Sealed } from './cipher.js';
import type { ChangeFeed } from './read-cache.js';
import type { AuditEntry } from './types.js';

/** Tables holding encrypted values; a row's id is its name or its token hash. */
export type SealedTable = 'secrets' | 'bootstrap';

/**
 * Where each sealed table lives, the same in both databases. Every table name starts with
 * `secrets` so the store can share a database (or PostgreSQL schema) with others.
 */
export const SEALED_TABLES: Record<SealedTable, { table: string; idColumn: string }> = {
  secrets: { table: 'secrets', idColumn: 'name' },
  bootstrap: { table: 'secrets_bootstrap', idColumn: 'token_hash' },
};

export interface StoredValue {
  sealed: Sealed;
  expires: Date;
}

export interface AuditRow extends AuditEntry {
  id: number;
}

export interface SealedRow {
  id: string;
  sealed: Sealed;
}

/** Rows (secrets and bootstrap entries together) encrypted under one key id. */
export interface KeyUsage {
  keyId: string;
  rows: number;
}

/** What a running gateway publishes of its key ring; no key material, only ids and fingerprints. */
export interface PublishedRing {
  gatewayId: string;
  /** Its ring's key ids, oldest first. */
  keyIds: string[];
  /** Key id → keys.ts keyFingerprint; empty for an entry written before fingerprints were published. */
  fingerprints: ReadonlyMap<string, string>;
  /** The key it encrypts new rows with. */
  writeKeyId: string;
  /** Seconds since it last published (by the database's clock). */
  ageSec: number;
}

/** A published ring's key ids and fingerprints as both databases store them: JSON text. */
export interface RingColumns {
  keyIds: string;
  fingerprints: string;
}

export function ringColumns(keyIds: readonly string[], fingerprints: ReadonlyMap<string, string>): RingColumns {
  return { keyIds: JSON.stringify(keyIds), fingerprints: JSON.stringify(Object.fromEntries(fingerprints)) };
}

export function ringFromColumns(columns: RingColumns): Pick<PublishedRing, 'keyIds' | 'fingerprints'> {
  return {
    keyIds: JSON.parse(columns.keyIds) as string[],
    fingerprints: new Map(Object.entries(JSON.parse(columns.fingerprints) as Record<string, string>)),
  };
}

export interface RowStore {
  /** 'created' when no live secret had the name (an expired, unswept one is replaced). */
  upsertSecret(name: string, value: StoredValue, clientId: string, now: Date): Promise<'created' | 'updated'>;
  /** Only when unexpired at `now`. */
  readSecret(name: string, now: Date): Promise<StoredValue | undefined>;
  deleteSecret(name: string, clientId: string, now: Date): Promise<boolean>;
  /** Names after `after` in byte order. */
  listNames(after: string | undefined, limit: number): Promise<string[]>;
  /** A name's audit rows with id above `afterId`, oldest first. */
  auditRows(name: string, afterId: number | undefined, limit: number): Promise<AuditRow[]>;
  /** Deletes secrets expired at `now` (auditing each as 'expired') and expired bootstrap entries; returns secrets deleted. */
  deleteExpired(clientId: string, now: Date): Promise<number>;
  insertBootstrap(tokenHash: string, value: StoredValue, clientId: string, now: Date): Promise<void>;
  /** Deletes the entry and returns what it held, to exactly one caller. */
  takeBootstrap(tokenHash: string): Promise<StoredValue | undefined>;
  deleteBootstrap(tokenHash: string): Promise<boolean>;
  /** Rows of `table` not encrypted with `keyId`, ids after `afterId`, in id order. */
  rowsNotUnder(table: SealedTable, keyId: string, afterId: string | undefined, limit: number): Promise<SealedRow[]>;
  /** Replaces a row's ciphertext only if it still holds `from` (a concurrent write wins). */
  reseal(table: SealedTable, id: string, from: Sealed, to: Sealed): Promise<boolean>;
  /** A trivial round trip to the database; rejects when it is unreachable or broken. */
  ping(): Promise<void>;
  /** Rows per key id, over every sealed table, expired rows included (they still hold ciphertext). */
  keyUsage(): Promise<KeyUsage[]>;
  /**
   * Creates or refreshes a gateway's entry, live for `validSec` from now by the database's clock
   * (replicas' clocks may disagree), and removes expired entries (gateways that died).
   */
  publishRing(gatewayId: string, ring: RingColumns, writeKeyId: string, validSec: number): Promise<void>;
  /** Entries still live; expired ones are ignored. */
  liveRings(): Promise<PublishedRing[]>;
  /** A gateway closing takes its entry away. */
  retractRing(gatewayId: string): Promise<void>;
  /**
   * Changes to secrets committed by other connections (other processes, other replicas), for a
   * read cache. Opened on first call; closed with the store.
   */
  changeFeed(): ChangeFeed;
  close(): Promise<void>;
}
