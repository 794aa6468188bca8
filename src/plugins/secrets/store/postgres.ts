/**
 * PostgreSQL rows (pg Pool), safe with several gateway replicas on one database: migrations run
 * under a transaction-scoped advisory lock, a put is one upsert plus its audit row in one
 * transaction, a bootstrap claim is a single DELETE ... RETURNING (exactly one claimant gets the
 * row), and the sweep runs only where pg_try_advisory_xact_lock succeeds.
 */
import pg from 'pg';
import { ConfigError } from '../../../config/settings.js';
import type { Sealed } from './cipher.js';
import { migrateSchema } from './postgres-schema.js';
import { listenForChanges, listenerName, notifyChanged } from './postgres-listener.js';
import { inTransaction } from './postgres-transaction.js';
import type { ChangeFeed } from './read-cache.js';
import { SEALED_TABLES, ringFromColumns, type AuditRow, type PublishedRing, type RowStore, type SealedRow, type StoredValue } from './rows.js';
import type { AuditAction } from './types.js';

export { isPostgresOutage } from './postgres-outage.js';

interface ValueRow { key_id: string; value: Buffer; expires: Date }

function storedValue(row: ValueRow): StoredValue {
  return { sealed: { keyId: row.key_id, value: row.value }, expires: row.expires };
}

/**
 * A connection that does not answer within `timeoutMs`, whether connecting, waiting for a pooled
 * client or running one statement, fails instead of holding its request: a database that is
 * down or partitioned (sockets open, nothing answered) is reported, never waited for.
 */
/** The longest a transaction of the gateway's may sit idle on the server: 5 s, databaseTimeoutMs's default. */
const IDLE_IN_TRANSACTION_MAX_MS = 5_000;

function connectionOptions(url: string, timeoutMs: number): pg.ClientConfig {
  return {
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    // client side: gives up on a silent socket; pg-pool then destroys that client, never reusing it
    query_timeout: timeoutMs,
    // server side: a statement (or a transaction left open by a vanished replica, holding its
    // row locks) is cancelled rather than left running behind an answer already given
    statement_timeout: timeoutMs,
    // a transaction idle between its statements is one whose replica died or was cut off mid-way
    // (ours send them back to back): ended within IDLE_IN_TRANSACTION_MAX_MS even where the
    // operations' own bound is long, so its row locks never hold the other replicas' writes (a
    // request the balancer passed on from a killed replica rewrites the very row) for that long
    idle_in_transaction_session_timeout: Math.min(timeoutMs, IDLE_IN_TRANSACTION_MAX_MS),
    // sockets probed while idle, so few outlive a partition unnoticed
    keepAlive: true,
    keepAliveInitialDelayMillis: 5_000,
  };
}

function poolOptions(url: string, timeoutMs: number): pg.PoolConfig {
  // idle sockets closed after 10 s
  return { ...connectionOptions(url, timeoutMs), idleTimeoutMillis: 10_000 };
}

/** Whether `schema` holds the store's tables (its version table, made by the first migration). */
async function hasSecretsTables(pool: pg.Pool, schema: string): Promise<boolean> {
  const { rows } = await pool.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [`"${schema.replaceAll('"', '""')}".secrets_schema_version`]);
  return rows[0]?.found != null;
}

/**
 * `schema` holds the tables (created when missing); it is quoted, and checked by migrateSchema.
 * Every change to a secret notifies the schema's channel in its transaction (postgres-listener.ts);
 * the change feed listens through `listenUrl`.
 */
export async function openPostgresRows(url: string, schema: string, timeoutMs: number, listenUrl = url, existingOnly = false): Promise<RowStore> {
  const pool = new pg.Pool(poolOptions(url, timeoutMs));
  // An idle client losing its connection emits 'error' on the pool; the pool drops that client
  // and the next query reports the outage, so there is nothing to do here but not crash.
  pool.on('error', () => {});
  try {
    if (existingOnly && !(await hasSecretsTables(pool, schema))) {
      // named by host and schema only: the URL may carry a password
      throw new ConfigError(`no secrets tables in schema "${schema}" of the database at ${new URL(url).host}: name the gateway's database and schema (--secrets-database postgres://...?schema=<name>)`);
    }
    await migrateSchema(pool, schema);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const t = (table: string) => `"${schema}".${table}`;
  const audit = `INSERT INTO ${t('secrets_audit')} (name, client_id, action, time) VALUES ($1, $2, $3, $4)`;
  const writeAudit = (client: pg.PoolClient, name: string, clientId: string, action: AuditAction, now: Date) =>
    client.query(audit, [name, clientId, action, now]);
  let feed: ChangeFeed | undefined;

  return {
    upsertSecret: (name, value, clientId, now) => inTransaction(pool, async (client) => {
      // Locks an existing row so its expiry (live or not) is known for 'created' vs 'updated'.
      const existing = await client.query<{ expires: Date }>(`SELECT expires FROM ${t('secrets')} WHERE name = $1 FOR UPDATE`, [name]);
      const upserted = await client.query<{ inserted: boolean }>(
        `INSERT INTO ${t('secrets')} (name, key_id, value, expires) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET key_id = excluded.key_id, value = excluded.value, expires = excluded.expires
         RETURNING (xmax = 0) AS inserted`,
        [name, value.sealed.keyId, value.sealed.value, value.expires],
      );
      const previous = existing.rows[0];
      // No row seen but a conflict anyway: a concurrent put created it first.
      const action = previous ? (previous.expires > now ? 'updated' : 'created') : (upserted.rows[0]!.inserted ? 'created' : 'updated');
      await writeAudit(client, name, clientId, action, now);
      await notifyChanged(client, schema, [name]);
      return action;
    }),
    readSecret: async (name, now) => {
      const { rows } = await pool.query<ValueRow>(`SELECT key_id, value, expires FROM ${t('secrets')} WHERE name = $1 AND expires > $2`, [name, now]);
      return rows[0] && storedValue(rows[0]);
    },
    deleteSecret: (name, clientId, now) => inTransaction(pool, async (client) => {
      const { rowCount } = await client.query(`DELETE FROM ${t('secrets')} WHERE name = $1`, [name]);
      if (rowCount) {
        await writeAudit(client, name, clientId, 'deleted', now);
        await notifyChanged(client, schema, [name]);
      }
      return Boolean(rowCount);
    }),
    listNames: async (after, limit) => {
      const { rows } = await pool.query<{ name: string }>(
        `SELECT name FROM ${t('secrets')} WHERE $1::text IS NULL OR name > $1 ORDER BY name LIMIT $2`, [after ?? null, limit]);
      return rows.map((r) => r.name);
    },
    auditRows: async (name, afterId, limit) => {
      const { rows } = await pool.query<{ id: string; name: string; client_id: string; action: AuditAction; time: Date }>(
        `SELECT id, name, client_id, action, time FROM ${t('secrets_audit')} WHERE name = $1 AND id > $2 ORDER BY id LIMIT $3`,
        [name, afterId ?? 0, limit]);
      // bigserial arrives as a string; ids stay far below 2^53.
      return rows.map((r): AuditRow => ({ id: Number(r.id), name: r.name, clientId: r.client_id, action: r.action, time: r.time }));
    },
    deleteExpired: (clientId, now) => inTransaction(pool, async (client) => {
      const { rows: [lock] } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [`taskcluster-gateway secrets sweep ${schema}`]);
      if (!lock?.locked) return 0;
      const { rows: gone } = await client.query<{ name: string }>(
        `WITH gone AS (DELETE FROM ${t('secrets')} WHERE expires <= $1 RETURNING name),
           audited AS (INSERT INTO ${t('secrets_audit')} (name, client_id, action, time) SELECT name, $2, 'expired', $1 FROM gone)
         SELECT name FROM gone`,
        [now, clientId]);
      await client.query(`DELETE FROM ${t('secrets_bootstrap')} WHERE expires <= $1`, [now]);
      // expired secrets are never served from a cache; told all the same, so caches let them go
      await notifyChanged(client, schema, gone.map((row) => row.name));
      return gone.length;
    }),
    insertBootstrap: async (tokenHash, value, clientId, now) => {
      await pool.query(
        `INSERT INTO ${t('secrets_bootstrap')} (token_hash, key_id, value, expires, created_by, created) VALUES ($1, $2, $3, $4, $5, $6)`,
        [tokenHash, value.sealed.keyId, value.sealed.value, value.expires, clientId, now]);
    },
    takeBootstrap: async (tokenHash) => {
      const { rows } = await pool.query<ValueRow>(
        `DELETE FROM ${t('secrets_bootstrap')} WHERE token_hash = $1 RETURNING key_id, value, expires`, [tokenHash]);
      return rows[0] && storedValue(rows[0]);
    },
    deleteBootstrap: async (tokenHash) => {
      const { rowCount } = await pool.query(`DELETE FROM ${t('secrets_bootstrap')} WHERE token_hash = $1`, [tokenHash]);
      return Boolean(rowCount);
    },
    rowsNotUnder: async (table, keyId, afterId, limit) => {
      const { table: name, idColumn: id } = SEALED_TABLES[table];
      const { rows } = await pool.query<{ id: string; key_id: string; value: Buffer }>(
        `SELECT ${id} AS id, key_id, value FROM ${t(name)} WHERE key_id <> $1 AND ($2::text IS NULL OR ${id} > $2) ORDER BY ${id} LIMIT $3`,
        [keyId, afterId ?? null, limit]);
      return rows.map((r): SealedRow => ({ id: r.id, sealed: { keyId: r.key_id, value: r.value } }));
    },
    reseal: async (table, id, from: Sealed, to: Sealed) => {
      const { table: name, idColumn } = SEALED_TABLES[table];
      const { rowCount } = await pool.query(
        `UPDATE ${t(name)} SET key_id = $1, value = $2 WHERE ${idColumn} = $3 AND key_id = $4 AND value = $5`,
        [to.keyId, to.value, id, from.keyId, from.value]);
      return Boolean(rowCount);
    },
    ping: async () => {
      await pool.query('SELECT 1');
    },
    keyUsage: async () => {
      const { rows } = await pool.query<{ key_id: string; rows: string }>(
        `SELECT key_id, sum(n) AS rows FROM (${Object.values(SEALED_TABLES)
          .map(({ table }) => `SELECT key_id, count(*) AS n FROM ${t(table)} GROUP BY key_id`).join(' UNION ALL ')}) AS used
         GROUP BY key_id ORDER BY key_id`);
      return rows.map((r) => ({ keyId: r.key_id, rows: Number(r.rows) }));
    },
    // Times are the database's now(): replicas on several hosts agree on it, not on their own clocks.
    publishRing: (gatewayId, ring, writeKeyId, validSec) => inTransaction(pool, async (client) => {
      await client.query(`DELETE FROM ${t('secrets_gateway_rings')} WHERE expires <= now()`);
      await client.query(
        `INSERT INTO ${t('secrets_gateway_rings')} (gateway_id, key_ids, key_fingerprints, write_key_id, seen, expires)
         VALUES ($1, $2, $3, $4, now(), now() + make_interval(secs => $5))
         ON CONFLICT (gateway_id) DO UPDATE SET key_ids = excluded.key_ids, key_fingerprints = excluded.key_fingerprints,
           write_key_id = excluded.write_key_id, seen = excluded.seen, expires = excluded.expires`,
        [gatewayId, ring.keyIds, ring.fingerprints, writeKeyId, validSec]);
    }),
    liveRings: async () => {
      const { rows } = await pool.query<{ gateway_id: string; key_ids: string; key_fingerprints: string; write_key_id: string; age: number }>(
        `SELECT gateway_id, key_ids, key_fingerprints, write_key_id, extract(epoch FROM now() - seen)::float8 AS age
         FROM ${t('secrets_gateway_rings')} WHERE expires > now() ORDER BY gateway_id`);
      return rows.map((r): PublishedRing => ({
        gatewayId: r.gateway_id, ...ringFromColumns({ keyIds: r.key_ids, fingerprints: r.key_fingerprints }),
        writeKeyId: r.write_key_id, ageSec: r.age,
      }));
    },
    retractRing: async (gatewayId) => {
      await pool.query(`DELETE FROM ${t('secrets_gateway_rings')} WHERE gateway_id = $1`, [gatewayId]);
    },
    changeFeed: () => (feed ??= listenForChanges({
      connection: { ...connectionOptions(listenUrl, timeoutMs), application_name: listenerName(schema) },
      schema,
    })),
    close: () => pool.end(),
  };
}
