import type { GatewayEvents } from '../../../core/events.js';
import type { ReadCacheOptions, ReadCacheStats } from './read-cache.js';
import type { WaitOptions } from '../../../core/wait.js';
import type { KeyUsage, PublishedRing } from './rows.js';

/**
 * The contract between the secrets API and its storage. Two implementations (SQLite, PostgreSQL)
 * satisfy it; the API never sees SQL, keys or ciphertext.
 */

export interface SecretRecord {
  name: string;
  secret: Record<string, unknown>;
  expires: Date;
}

export type AuditAction = 'created' | 'updated' | 'deleted' | 'expired';

export interface AuditEntry {
  name: string;
  clientId: string;
  action: AuditAction;
  time: Date;
}

export interface Page<T> {
  items: T[];
  continuationToken?: string;
}

export interface PageOptions {
  limit: number;
  continuationToken?: string;
}

export interface SecretStore {
  /** Create or replace; writes the audit row in the same transaction. */
  put(name: string, secret: Record<string, unknown>, expires: Date, clientId: string): Promise<'created' | 'updated'>;
  /** Only a live (unexpired) secret; undefined when missing or expired. */
  get(name: string, now?: Date): Promise<SecretRecord | undefined>;
  /** True when it existed (then a 'deleted' audit row is written). */
  remove(name: string, clientId: string): Promise<boolean>;
  /** Names in a stable order; continuationToken is opaque. */
  list(options: PageOptions): Promise<Page<string>>;
  /** Oldest first, in the order the changes happened. */
  auditHistory(name: string, options: PageOptions): Promise<Page<AuditEntry>>;
  /**
   * Delete expired secrets (audit 'expired' rows with clientId) and expired bootstrap entries;
   * on PostgreSQL one replica at a time. Returns secrets deleted.
   */
  sweepExpired(clientId: string, now?: Date): Promise<number>;
  /** Store data under a fresh unguessable token (only its hash is stored); returns the token. */
  createBootstrap(data: Record<string, unknown>, expires: Date, clientId: string): Promise<string>;
  /** Atomically read-and-delete; undefined when unknown, expired or already claimed (also across replicas). */
  claimBootstrap(token: string, now?: Date): Promise<Record<string, unknown> | undefined>;
  /** True when an entry was there to discard. */
  discardBootstrap(token: string): Promise<boolean>;
  /**
   * Re-encrypt every row not under the newest key; returns rows rewritten. RotationRefused
   * (nothing rewritten) while a live gateway does not yet encrypt with that key, or when the
   * ring lacks a key rows still use.
   */
  rotateKeys(): Promise<number>;
  /** For /__heartbeat__: resolves when the database answers a trivial query within the deadline. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The encrypting stores openSecretStore makes: a SecretStore whose key ring changes while it
 * serves. Apart from SecretStore so that a store of another kind (the plugin takes any) need
 * not know about keys.
 */
export interface KeyedSecretStore extends SecretStore {
  /** The ring's key ids, oldest first. */
  readonly keyIds: string[];
  /**
   * Replace the ring without a restart. ConfigError, the old ring kept, when the new one lacks
   * a key that stored rows or a live gateway's writes still use. Publishes the ring.
   */
  useKeys(ring: KeyRing): Promise<void>;
  /** The gateway's heartbeat: re-reads the other gateways' rings, picks the write key, publishes. */
  publishRing(): Promise<void>;
  /** Rows per key id, and the live gateways' rings. */
  keyStatus(): Promise<KeyStatus>;
  /** The read cache's counts (read-cache.ts); undefined when it is off. */
  readonly cacheStats: ReadCacheStats | undefined;
  /** Also withdraws the gateway's published ring. */
  close(): Promise<void>;
}

export interface KeyStatus {
  /** This store's ring. */
  keyIds: string[];
  usage: KeyUsage[];
  gateways: PublishedRing[];
  /** Key ids naming different keys in this ring and live gateways' (key-agreement.ts differingKeys). */
  differing: string[];
}

export interface EncryptionKey {
  id: string;
  /** 32 bytes (AES-256). */
  key: Buffer;
}

/** Encryption keys: the last one encrypts, all of them decrypt. Never empty. */
export interface KeyRing {
  readonly keys: readonly EncryptionKey[];
}

/** Options for openSecretStore beyond the URL. */
export interface OpenOptions {
  /**
   * PostgreSQL only: the schema holding the tables (created when missing); also `?schema=` in
   * the URL. Default `public`. Tests use a fresh schema per run.
   */
  schema?: string;
  /**
   * How long one database operation may take before its caller gets 503 ServiceUnavailable;
   * on PostgreSQL also the connect, query and statement timeouts. Default DATABASE_TIMEOUT_MS.
   */
  timeoutMs?: number;
  /** A serving gateway: its ring is checked against what rows use, then published. */
  gateway?: GatewayIdentity;
  /** Where outages and timeouts are counted and the database's state reported (the gateway's tally). */
  events?: GatewayEvents;
  /**
   * Keep decrypted secrets in process (read-cache.ts); off when absent or `entries` is 0. On
   * PostgreSQL it opens one more connection, which LISTENs for other replicas' changes.
   */
  cache?: ReadCacheOptions;
  /**
   * PostgreSQL only: where that LISTEN connection goes, when not to the store's URL (a pooler in
   * transaction mode, PgBouncer say, does not carry notifications). `?schema=` is not read here.
   */
  listenUrl?: string;
  /** PostgreSQL: how long to wait at start for a server that does not answer (core/wait.ts); default: one attempt. */
  wait?: Pick<WaitOptions, 'boundMs' | 'log'>;
  /**
   * Open a store that exists, never create one (the admin commands): a mistyped path or schema,
   * or a command run outside the gateway's working directory, must not find a fresh empty
   * database and report "no rows", on which `keys status` passes a keys file lacking keys the
   * real database still uses.
   */
  existingOnly?: boolean;
}

export interface GatewayIdentity {
  /** Unique per process, e.g. host:pid:random. */
  id: string;
  /** How often it publishes its ring; the entry stays live for HEARTBEATS_VALID of them. */
  heartbeatSec: number;
}

/** Well inside the time a client or load balancer waits for an answer. */
export const DATABASE_TIMEOUT_MS = 5000;
