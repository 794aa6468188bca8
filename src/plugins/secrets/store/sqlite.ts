/**
 * SQLite rows (better-sqlite3): one file, WAL so readers never wait for the writer. Calls are
 * synchronous and never wait for a lock: two processes on one file take turns through
 * sqlite-lock.ts, which tries a locked call again asynchronously. Times are stored as epoch
 * milliseconds.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../../../config/settings.js';
import type { Sealed } from './cipher.js';
import { databaseUnavailable } from './outage.js';
import type { ChangeFeed, ChangeSink } from './read-cache.js';
import { whenUnlocked } from './sqlite-lock.js';
import { SEALED_TABLES, ringFromColumns, type AuditRow, type KeyUsage, type PublishedRing, type RingColumns, type RowStore, type SealedRow, type SealedTable, type StoredValue } from './rows.js';
import type { AuditAction } from './types.js';

/** Applied in order, each once; secrets_schema_version records the last one applied. */
const MIGRATIONS = [
  `CREATE TABLE secrets (name TEXT PRIMARY KEY, key_id TEXT NOT NULL, value BLOB NOT NULL, expires INTEGER NOT NULL);
   CREATE INDEX secrets_expires ON secrets (expires);
   CREATE TABLE secrets_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, client_id TEXT NOT NULL,
     action TEXT NOT NULL, time INTEGER NOT NULL);
   CREATE INDEX secrets_audit_name ON secrets_audit (name, id);
   CREATE TABLE secrets_bootstrap (token_hash TEXT PRIMARY KEY, key_id TEXT NOT NULL, value BLOB NOT NULL, expires INTEGER NOT NULL,
     created_by TEXT NOT NULL, created INTEGER NOT NULL);
   CREATE INDEX secrets_bootstrap_expires ON secrets_bootstrap (expires);`,
  // Key rotation: which key ids rows use (counted per key), and each running gateway's ring.
  `CREATE INDEX secrets_key_id ON secrets (key_id);
   CREATE INDEX secrets_bootstrap_key_id ON secrets_bootstrap (key_id);
   CREATE TABLE secrets_gateway_rings (gateway_id TEXT PRIMARY KEY, key_ids TEXT NOT NULL, write_key_id TEXT NOT NULL,
     seen INTEGER NOT NULL, expires INTEGER NOT NULL);`,
  // Each ring key's fingerprint beside its id (keys.ts keyFingerprint): one id, different bytes, is caught.
  `ALTER TABLE secrets_gateway_rings ADD COLUMN key_fingerprints TEXT NOT NULL DEFAULT '{}';`,
];

/** The RowStore's methods as the synchronous calls that whenUnlocked repeats. */
type Synchronous<T> = { [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never };

interface ValueRow { key_id: string; value: Buffer; expires: number }

function storedValue(row: ValueRow): StoredValue {
  return { sealed: { keyId: row.key_id, value: row.value }, expires: new Date(row.expires) };
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS secrets_schema_version (version INTEGER NOT NULL)');
    const { version } = db.prepare('SELECT coalesce(max(version), 0) AS version FROM secrets_schema_version').get() as { version: number };
    MIGRATIONS.slice(version).forEach((sql, index) => {
      db.exec(sql);
      db.prepare('INSERT INTO secrets_schema_version (version) VALUES (?)').run(version + index + 1);
    });
  }).immediate();
}

/**
 * Result codes of a database that cannot serve now (locked until the deadline, I/O failing, disk
 * full, file gone or read-only), and better-sqlite3's error for a closed connection.
 */
export function isSqliteOutage(err: unknown): boolean {
  if (err instanceof Database.SqliteError) return /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY)/.test(err.code);
  return err instanceof TypeError && err.message === 'The database connection is not open';
}

/** Bytes 8..48 of the wal-index header (walformat.html): iChange, incremented by every commit, then mxFrame, nPage, checksums and salts. */
const WAL_INDEX_HEADER = { offset: 8, length: 40 };

/**
 * A change counter read from the wal-index header in `<db>-shm` (SQLite's documented WAL-index
 * format: `iChange` moves with every commit, by any connection). One pread per call, where
 * `PRAGMA data_version` opens and closes a read transaction, taking and releasing a lock on that
 * file each time (a third of a cold read's store cost, measured). Undefined when the file cannot
 * be opened; then data_version serves.
 */
interface CommitCounter {
  read(): Buffer | number;
  close(): void;
}

function walIndexCounter(shm: string): CommitCounter | undefined {
  let fd: number;
  try {
    fd = openSync(shm, 'r');
  } catch {
    return undefined;
  }
  const header = Buffer.alloc(WAL_INDEX_HEADER.length);
  return {
    read() {
      if (readSync(fd, header, 0, header.length, WAL_INDEX_HEADER.offset) !== header.length) throw new Error(`${shm} is too short`);
      return header;
    },
    close: () => closeSync(fd),
  };
}

/**
 * Commits by other connections (the admin CLI, another gateway on the file), checked on every
 * cached read through `counter` (walIndexCounter, or `PRAGMA data_version`): when it moved, the
 * cache is flushed and may answer again. A check that fails (the file locked or gone) lets the
 * read go to the database.
 */
function commitCounterFeed(counter: CommitCounter): ChangeFeed {
  let sink: ChangeSink | undefined;
  let seen: Buffer | number | undefined;
  return {
    subscribe(to) {
      sink = to;
    },
    current() {
      let now: Buffer | number;
      try {
        now = counter.read();
      } catch {
        return false;
      }
      if (typeof now === 'number' ? now !== seen : !(seen instanceof Buffer && now.equals(seen))) {
        seen = typeof now === 'number' ? now : Buffer.from(now);
        sink?.flush();
      }
      return true;
    },
    close: async () => counter.close(),
  };
}

/**
 * `path` is a file (its directory is created, unless `existingOnly`: then a missing file is a
 * ConfigError) or `:memory:`. A call that finds another process holding the lock is tried again
 * until `timeoutMs`, then fails with SQLITE_BUSY.
 */
export async function openSqliteRows(path: string, timeoutMs: number, existingOnly = false): Promise<RowStore> {
  const inMemory = path === ':memory:';
  const isNew = !inMemory && !existsSync(path);
  if (isNew && existingOnly) throw new ConfigError(`no secrets database at ${path}: name the gateway's with --secrets-database sqlite:<path> (or --data-dir), or --quickstart for the quick start's`);
  if (!inMemory) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // timeout is busy_timeout: 0, so no call blocks the event loop waiting for a lock
  const db = new Database(path, { timeout: 0 });
  // Names and the audit trail are stored plain: a file we create is the owner's alone (SQLite
  // gives its -wal and -shm files the database file's mode).
  if (isNew) chmodSync(path, 0o600);
  try {
    await whenUnlocked(() => {
      db.pragma('journal_mode = WAL');
      migrate(db);
    }, timeoutMs);
  } catch (err) {
    db.close();
    throw err;
  }
  // The file this connection holds open: one deleted or replaced under a running gateway keeps
  // taking writes that the next start will not find.
  const opened = inMemory ? undefined : statSync(path);

  const schemaVersion = db.prepare('SELECT max(version) FROM secrets_schema_version');
  const audit = db.prepare('INSERT INTO secrets_audit (name, client_id, action, time) VALUES (?, ?, ?, ?)');
  const writeAudit = (name: string, clientId: string, action: AuditAction, now: Date) => audit.run(name, clientId, action, now.getTime());
  const liveSecret = db.prepare('SELECT key_id, value, expires FROM secrets WHERE name = ? AND expires > ?');
  const existingExpiry = db.prepare('SELECT expires FROM secrets WHERE name = ?');
  const upsert = db.prepare(`INSERT INTO secrets (name, key_id, value, expires) VALUES (?, ?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET key_id = excluded.key_id, value = excluded.value, expires = excluded.expires`);
  const deleteSecret = db.prepare('DELETE FROM secrets WHERE name = ?');
  const listNames = db.prepare('SELECT name FROM secrets WHERE @after IS NULL OR name > @after ORDER BY name LIMIT @limit');
  const auditRows = db.prepare('SELECT id, name, client_id, action, time FROM secrets_audit WHERE name = ? AND id > ? ORDER BY id LIMIT ?');
  const deleteExpiredSecrets = db.prepare('DELETE FROM secrets WHERE expires <= ? RETURNING name');
  const deleteExpiredBootstrap = db.prepare('DELETE FROM secrets_bootstrap WHERE expires <= ?');
  const insertBootstrap = db.prepare('INSERT INTO secrets_bootstrap (token_hash, key_id, value, expires, created_by, created) VALUES (?, ?, ?, ?, ?, ?)');
  const takeBootstrap = db.prepare('DELETE FROM secrets_bootstrap WHERE token_hash = ? RETURNING key_id, value, expires');
  const deleteBootstrap = db.prepare('DELETE FROM secrets_bootstrap WHERE token_hash = ?');
  const perSealedTable = (sql: (table: string, id: string) => string) => Object.fromEntries(
    Object.entries(SEALED_TABLES).map(([name, { table, idColumn }]) => [name, db.prepare(sql(table, idColumn))]),
  ) as Record<SealedTable, Database.Statement>;
  const notUnder = perSealedTable((table, id) =>
    `SELECT ${id} AS id, key_id, value FROM ${table} WHERE key_id <> @keyId AND (@after IS NULL OR ${id} > @after) ORDER BY ${id} LIMIT @limit`);
  const reseal = perSealedTable((table, id) => `UPDATE ${table} SET key_id = ?, value = ? WHERE ${id} = ? AND key_id = ? AND value = ?`);
  const keyUsage = db.prepare(`SELECT key_id AS keyId, sum(n) AS rows FROM (${Object.values(SEALED_TABLES)
    .map(({ table }) => `SELECT key_id, count(*) AS n FROM ${table} GROUP BY key_id`).join(' UNION ALL ')}) GROUP BY key_id ORDER BY key_id`);
  const upsertRing = db.prepare(`INSERT INTO secrets_gateway_rings (gateway_id, key_ids, key_fingerprints, write_key_id, seen, expires)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (gateway_id) DO UPDATE SET key_ids = excluded.key_ids, key_fingerprints = excluded.key_fingerprints,
      write_key_id = excluded.write_key_id, seen = excluded.seen, expires = excluded.expires`);
  const deleteExpiredRings = db.prepare('DELETE FROM secrets_gateway_rings WHERE expires <= ?');
  const liveRings = db.prepare(`SELECT gateway_id, key_ids, key_fingerprints, write_key_id, seen FROM secrets_gateway_rings
    WHERE expires > ? ORDER BY gateway_id`);
  const retractRing = db.prepare('DELETE FROM secrets_gateway_rings WHERE gateway_id = ?');
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  let feed: ChangeFeed | undefined;

  const upsertWithAudit = db.transaction((name: string, value: StoredValue, clientId: string, now: Date) => {
    const existing = existingExpiry.get(name) as { expires: number } | undefined;
    const action = existing && existing.expires > now.getTime() ? 'updated' : 'created';
    upsert.run(name, value.sealed.keyId, value.sealed.value, value.expires.getTime());
    writeAudit(name, clientId, action, now);
    return action;
  });
  const deleteWithAudit = db.transaction((name: string, clientId: string, now: Date) => {
    const existed = deleteSecret.run(name).changes > 0;
    if (existed) writeAudit(name, clientId, 'deleted', now);
    return existed;
  });
  // All gateways on one SQLite file run on one host: its clock is theirs.
  const publish = db.transaction((gatewayId: string, ring: RingColumns, writeKeyId: string, validSec: number) => {
    const now = Date.now();
    deleteExpiredRings.run(now);
    upsertRing.run(gatewayId, ring.keyIds, ring.fingerprints, writeKeyId, now, now + validSec * 1000);
  });
  const sweep = db.transaction((clientId: string, now: Date) => {
    const names = deleteExpiredSecrets.all(now.getTime()) as Array<{ name: string }>;
    for (const { name } of names) writeAudit(name, clientId, 'expired', now);
    deleteExpiredBootstrap.run(now.getTime());
    return names.length;
  });

  const calls: Synchronous<Omit<RowStore, 'close' | 'changeFeed'>> = {
    // Immediate transactions take the write lock up front: a deferred one that reads first can
    // fail with SQLITE_BUSY when another process writes in between.
    upsertSecret: (name, value, clientId, now) => upsertWithAudit.immediate(name, value, clientId, now),
    readSecret: (name, now) => {
      const row = liveSecret.get(name, now.getTime()) as ValueRow | undefined;
      return row && storedValue(row);
    },
    deleteSecret: (name, clientId, now) => deleteWithAudit.immediate(name, clientId, now),
    listNames: (after, limit) => (listNames.all({ after: after ?? null, limit }) as Array<{ name: string }>).map((r) => r.name),
    auditRows: (name, afterId, limit) =>
      (auditRows.all(name, afterId ?? 0, limit) as Array<{ id: number; name: string; client_id: string; action: AuditAction; time: number }>)
        .map((r): AuditRow => ({ id: r.id, name: r.name, clientId: r.client_id, action: r.action, time: new Date(r.time) })),
    deleteExpired: (clientId, now) => sweep.immediate(clientId, now),
    insertBootstrap: (tokenHash, value, clientId, now) => {
      insertBootstrap.run(tokenHash, value.sealed.keyId, value.sealed.value, value.expires.getTime(), clientId, now.getTime());
    },
    takeBootstrap: (tokenHash) => {
      const row = takeBootstrap.get(tokenHash) as ValueRow | undefined;
      return row && storedValue(row);
    },
    deleteBootstrap: (tokenHash) => deleteBootstrap.run(tokenHash).changes > 0,
    rowsNotUnder: (table, keyId, afterId, limit) =>
      (notUnder[table].all({ keyId, after: afterId ?? null, limit }) as Array<{ id: string; key_id: string; value: Buffer }>)
        .map((r): SealedRow => ({ id: r.id, sealed: { keyId: r.key_id, value: r.value } })),
    reseal: (table, id, from: Sealed, to: Sealed) =>
      reseal[table].run(to.keyId, to.value, id, from.keyId, from.value).changes > 0,
    ping: () => {
      // Reads the file (readers never wait for the writer under WAL).
      schemaVersion.get();
      const now = opened && statSync(path, { throwIfNoEntry: false });
      if (opened && (!now || now.ino !== opened.ino || now.dev !== opened.dev)) {
        throw databaseUnavailable(new Error(`${path} was removed or replaced while open; restart to reopen it`));
      }
    },
    keyUsage: () => keyUsage.all() as KeyUsage[],
    publishRing: (gatewayId, ring, writeKeyId, validSec) => publish.immediate(gatewayId, ring, writeKeyId, validSec),
    liveRings: () => {
      const now = Date.now();
      return (liveRings.all(now) as Array<{ gateway_id: string; key_ids: string; key_fingerprints: string; write_key_id: string; seen: number }>)
        .map((r): PublishedRing => ({
          gatewayId: r.gateway_id, ...ringFromColumns({ keyIds: r.key_ids, fingerprints: r.key_fingerprints }),
          writeKeyId: r.write_key_id, ageSec: (now - r.seen) / 1000,
        }));
    },
    retractRing: (gatewayId) => {
      retractRing.run(gatewayId);
    },
  };
  // Each call is one statement or one transaction (rolled back when it throws): safe to repeat.
  const rows = Object.entries(calls).map(([name, call]) =>
    [name, (...args: unknown[]) => whenUnlocked(() => (call as (...a: unknown[]) => unknown)(...args), timeoutMs)]);
  return {
    ...Object.fromEntries(rows) as unknown as Omit<RowStore, 'close' | 'changeFeed'>,
    changeFeed: () => (feed ??= commitCounterFeed((!inMemory && walIndexCounter(`${path}-shm`)) || { read: () => dataVersion.get() as number, close: () => {} })),
    close: async () => {
      db.close();
    },
  };
}
