import { ConfigError, requireParsableUrl } from '../../../config/settings.js';
import { waitFor } from '../../../core/wait.js';
import { reportingOutages } from './outage.js';
import { SealedSecretStore } from './sealed-store.js';
import type { RowStore } from './rows.js';
import { DATABASE_TIMEOUT_MS, type KeyedSecretStore, type KeyRing, type OpenOptions } from './types.js';

/** Takes our own `schema` query parameter off a PostgreSQL URL (pg would pass it to the server). */
function schemaFromUrl(url: string): { url: string; schema: string | undefined } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  if (schema === null) return { url, schema: undefined };
  parsed.searchParams.delete('schema');
  return { url: parsed.toString(), schema };
}

/** A gateway's store starts only with a ring that can read every row (useKeys), then publishes it. */
async function sealed(rows: RowStore, keys: KeyRing, options: OpenOptions): Promise<KeyedSecretStore> {
  const store = new SealedSecretStore(rows, keys, options.gateway, options.cache);
  if (!options.gateway) return store;
  try {
    await store.useKeys(keys);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

const sqlitePath = (url: string) => url.slice('sqlite:'.length).replace(/^\/\//, '');
const isPostgres = (url: string) => /^postgres(ql)?:\/\//.test(url);

/**
 * The checks openSecretStore makes of a database URL and its options before it opens anything
 * (a configuration reload makes them too): ConfigError naming the setting, never the URL, which
 * may carry a password.
 */
export function checkStoreSettings(url: string, options: Pick<OpenOptions, 'timeoutMs' | 'listenUrl'> = {}): void {
  const timeoutMs = options.timeoutMs ?? DATABASE_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new ConfigError(`secrets.databaseTimeoutMs must be a whole number of milliseconds, at least 1 (not ${timeoutMs})`);
  if (url.startsWith('sqlite:')) {
    if (sqlitePath(url) === '') throw new ConfigError('secrets database URL "sqlite:" names no file');
  } else if (isPostgres(url)) {
    requireParsableUrl(url, 'secrets.database (--secrets-database / GATEWAY_SECRETS_DATABASE)');
    if (options.listenUrl) requireParsableUrl(options.listenUrl, 'secrets.listenDatabase (--secrets-listen-database / GATEWAY_SECRETS_LISTEN_DATABASE)');
  } else {
    // The URL may carry a password: name only its scheme.
    throw new ConfigError(`secrets database must be sqlite:<path> or postgres://..., not "${url.split(':')[0]}:..."`);
  }
}

/**
 * `sqlite:<path>` (also `sqlite://<path>`, `sqlite::memory:`) or `postgres://` / `postgresql://`,
 * optionally with `?schema=<name>`; `options.schema` wins over the URL's.
 */
export async function openSecretStore(url: string, keys: KeyRing, options: OpenOptions = {}): Promise<KeyedSecretStore> {
  if (keys.keys.length === 0) throw new ConfigError('no secrets encryption key configured');
  checkStoreSettings(url, options);
  const timeoutMs = options.timeoutMs ?? DATABASE_TIMEOUT_MS;
  if (url.startsWith('sqlite:')) {
    // each driver is loaded when its database is opened: a deployment needs only its own
    const { isSqliteOutage, openSqliteRows } = await import('./sqlite.js');
    return sealed(reportingOutages(await openSqliteRows(sqlitePath(url), timeoutMs, options.existingOnly), { timeoutMs, isOutage: isSqliteOutage, events: options.events }), keys, options);
  }
  const fromUrl = schemaFromUrl(url);
  const { isPostgresOutage, openPostgresRows } = await import('./postgres.js');
  const schema = options.schema ?? fromUrl.schema ?? 'public';
  const listenUrl = options.listenUrl ? schemaFromUrl(options.listenUrl).url : fromUrl.url;
  // named by host and port only: the URL may carry a password
  const rows = await waitFor(() => openPostgresRows(fromUrl.url, schema, timeoutMs, listenUrl, options.existingOnly), {
    what: `the secrets database at ${new URL(fromUrl.url).host}`,
    retryable: isPostgresOutage,
    ...(options.wait ?? { boundMs: 0, log: { info() {} } }),
  });
  return sealed(reportingOutages(rows, { timeoutMs, isOutage: isPostgresOutage, events: options.events }), keys, options);
}
