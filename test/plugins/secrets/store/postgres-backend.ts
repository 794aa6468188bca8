import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Test } from 'tap';
import { startTcpRelay, type TcpRelay } from '../../../helpers/tcp-relay.js';
import type { StoreBackend } from './backend.js';

export const postgresUrl = process.env.GATEWAY_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Fails the test file, loudly, when the PostgreSQL these tests need is not there. */
export async function requirePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(`PostgreSQL unreachable at ${postgresUrl} (set GATEWAY_TEST_POSTGRES, or start it: ` +
      `pg_ctlcluster --skip-systemctl-redirect <version> main start): ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The test PostgreSQL behind a relay the test controls: `url` reaches it through `relay`. */
export async function postgresThroughRelay(t: Test): Promise<{ relay: TcpRelay; url: URL }> {
  const url = new URL(postgresUrl);
  const relay = await startTcpRelay(t, { host: url.hostname, port: Number(url.port || 5432) });
  url.port = String(relay.port);
  return { relay, url };
}

/** One admin client per call: tests are few, and this keeps no pool alive past them. */
export async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export const postgresBackend: StoreBackend = {
  name: 'postgres',
  async fresh(t) {
    const schema = `store_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    t.teardown(() => withClient((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)));
    const table = (name: string) => `"${schema}".${name}`;
    return {
      url: postgresUrl,
      options: { schema },
      table,
      sql: async (statement) => {
        await withClient((c) => c.query(statement));
      },
      // Each row as PostgreSQL renders it as text, plus every bytea column as raw bytes (the
      // text form of bytea is hex, which would hide a plaintext value stored there).
      storedText: () => withClient(async (c) => {
        const parts: string[] = [];
        for (const name of ['secrets', 'secrets_audit', 'secrets_bootstrap']) {
          const { rows } = await c.query<Record<string, unknown>>(`SELECT t::text AS "rowText", t.* FROM ${table(name)} t`);
          for (const row of rows) {
            parts.push(...Object.values(row).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v))));
          }
        }
        return parts.join('\n');
      }),
    };
  },
};
