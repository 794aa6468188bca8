/**
 * The PostgreSQL schema and its migrations. Several replicas may start at once: each migrates
 * inside one transaction holding an advisory lock for the schema, so one applies what is
 * missing and the others then find secrets_schema_version current and apply nothing.
 */
import type pg from 'pg';
import { ConfigError } from '../../../config/settings.js';
import { inTransaction } from './postgres-transaction.js';

/** Applied in order, each once; `%s` is the quoted schema. */
const MIGRATIONS = [
  // Names sort and compare byte-wise (COLLATE "C"), as on SQLite, so paging is stable whatever
  // the database's locale.
  `CREATE TABLE %s.secrets (name TEXT COLLATE "C" PRIMARY KEY, key_id TEXT NOT NULL, value BYTEA NOT NULL,
     expires TIMESTAMPTZ NOT NULL);
   CREATE INDEX secrets_expires ON %s.secrets (expires);
   CREATE TABLE %s.secrets_audit (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, client_id TEXT NOT NULL,
     action TEXT NOT NULL CHECK (action IN ('created', 'updated', 'deleted', 'expired')), time TIMESTAMPTZ NOT NULL);
   CREATE INDEX secrets_audit_name ON %s.secrets_audit (name, id);
   CREATE TABLE %s.secrets_bootstrap (token_hash TEXT COLLATE "C" PRIMARY KEY, key_id TEXT NOT NULL, value BYTEA NOT NULL,
     expires TIMESTAMPTZ NOT NULL, created_by TEXT NOT NULL, created TIMESTAMPTZ NOT NULL);
   CREATE INDEX secrets_bootstrap_expires ON %s.secrets_bootstrap (expires);`,
  // Key rotation: which key ids rows use (counted per key), and each running gateway's ring.
  `CREATE INDEX secrets_key_id ON %s.secrets (key_id);
   CREATE INDEX secrets_bootstrap_key_id ON %s.secrets_bootstrap (key_id);
   CREATE TABLE %s.secrets_gateway_rings (gateway_id TEXT PRIMARY KEY, key_ids TEXT NOT NULL, write_key_id TEXT NOT NULL,
     seen TIMESTAMPTZ NOT NULL, expires TIMESTAMPTZ NOT NULL);`,
  // Each ring key's fingerprint beside its id (keys.ts keyFingerprint): one id, different bytes, is caught.
  `ALTER TABLE %s.secrets_gateway_rings ADD COLUMN key_fingerprints TEXT NOT NULL DEFAULT '{}';`,
];

/** Schema names are interpolated into SQL, so only plain identifiers are accepted. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function migrateSchema(pool: pg.Pool, schema: string): Promise<void> {
  if (!SCHEMA_NAME.test(schema)) throw new ConfigError(`secrets database schema "${schema}" must match ${SCHEMA_NAME}`);
  const quoted = `"${schema}"`;
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`taskcluster-gateway secrets migrate ${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${quoted}.secrets_schema_version (version INTEGER NOT NULL)`);
    const { rows: [current] } = await client.query<{ version: number }>(`SELECT coalesce(max(version), 0) AS version FROM ${quoted}.secrets_schema_version`);
    const from = current?.version ?? 0;
    for (const [index, sql] of MIGRATIONS.slice(from).entries()) {
      await client.query(sql.replaceAll('%s', quoted));
      await client.query(`INSERT INTO ${quoted}.secrets_schema_version (version) VALUES ($1)`, [from + index + 1]);
    }
  });
}
