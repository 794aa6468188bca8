/**
 * Other replicas' changes on PostgreSQL, for the read cache: every change to a secret publishes
 * a notification in its own transaction (`notifyChanged`), and each replica holds one dedicated
 * connection LISTENing on its schema's channel. The cache may answer only while that connection
 * is known to be up:
 * - until it has connected and LISTENs, and from the moment it fails, the cache is flushed and
 *   bypassed (reads go to the database), and it reconnects with backoff;
 * - it is asked a trivial query every PING_MS; an answer to one sent at T vouches for it until
 *   T + LEASE_MS. A connection that stops answering without failing (a partition) therefore
 *   stops vouching within LEASE_MS: the cache is flushed and bypassed, and the ping, bounded by
 *   the database deadline, destroys it and a new one is made.
 */
import pg from 'pg';
import type { ChangeFeed, ChangeSink } from './read-cache.js';

const PING_MS = 500;
const LEASE_MS = 1500;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;
/** PostgreSQL refuses notification payloads of 8000 bytes or more. */
const MAX_NAME_IN_PAYLOAD = 7000;
/** What a notification says when everything may have changed. */
const EVERYTHING = '*';

/** One channel per schema; a channel name is an identifier, at most 63 bytes (schema names are plain ASCII). */
export function changeChannel(schema: string): string {
  return `secrets ${schema}`.slice(0, 63);
}

/** The listening connection's application_name, as pg_stat_activity shows it (at most 63 bytes). */
export function listenerName(schema: string): string {
  return `secrets listener ${schema}`.slice(0, 63);
}

/** The payload naming one changed secret (names are printable ASCII, see schemas.ts). */
export function changePayload(name: string): string {
  return name.length < MAX_NAME_IN_PAYLOAD ? `n:${name}` : EVERYTHING;
}

/** Publishes, inside the caller's transaction, that `names` changed; delivered at commit. */
export async function notifyChanged(client: pg.ClientBase, schema: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await client.query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [changeChannel(schema), names.map(changePayload)]);
}

export interface ListenerOptions {
  /** pg client settings (connection string and deadlines), as the store's pool has them. */
  connection: pg.ClientConfig;
  schema: string;
}

export function listenForChanges(options: ListenerOptions): ChangeFeed {
  const channel = changeChannel(options.schema);
  let sink: ChangeSink | undefined;
  let client: pg.Client | undefined;
  /** performance.now() until which the connection vouches for the cache. */
  let trustedUntil = 0;
  let lapsed = true;
  let closed = false;
  let backoff = RECONNECT_MIN_MS;
  let reconnect: NodeJS.Timeout | undefined;
  let ping: NodeJS.Timeout | undefined;

  const distrust = () => {
    trustedUntil = 0;
    if (!lapsed) {
      lapsed = true;
      sink?.flush();
    }
  };

  const down = (failed: pg.Client) => {
    if (failed !== client) return;
    client = undefined;
    clearInterval(ping);
    distrust();
    failed.end().catch(() => undefined);
    if (closed) return;
    reconnect = setTimeout(() => void connect(), backoff);
    reconnect.unref();
    backoff = Math.min(backoff * 2, RECONNECT_MAX_MS);
  };

  const vouch = (sentAt: number) => {
    if (lapsed) {
      // everything cached before the lapse may have missed a change: start again
      sink?.flush();
      lapsed = false;
    }
    trustedUntil = Math.max(trustedUntil, sentAt + LEASE_MS);
  };

  const connect = async () => {
    const fresh = new pg.Client(options.connection);
    client = fresh;
    fresh.on('error', () => down(fresh));
    fresh.on('end', () => down(fresh));
    fresh.on('notification', (message) => {
      if (message.channel !== channel || fresh !== client) return;
      const payload = message.payload ?? EVERYTHING;
      if (payload.startsWith('n:')) sink?.invalidate(payload.slice(2));
      else sink?.flush();
    });
    try {
      const sentAt = performance.now();
      await fresh.connect();
      await fresh.query(`LISTEN "${channel}"`);
      if (closed || fresh !== client) {
        await fresh.end();
        return;
      }
      backoff = RECONNECT_MIN_MS;
      vouch(sentAt);
      let pinging = false;
      ping = setInterval(() => {
        // one at a time: a ping still unanswered fails by the deadline, and that ends this connection
        if (pinging) return;
        pinging = true;
        const sentAt = performance.now();
        fresh.query('SELECT 1').then(() => {
          if (fresh === client) vouch(sentAt);
        }, () => down(fresh)).finally(() => {
          pinging = false;
        });
      }, PING_MS);
      ping.unref();
    } catch {
      down(fresh);
    }
  };

  return {
    subscribe(to) {
      sink = to;
      void connect();
    },
    current() {
      if (performance.now() < trustedUntil) return true;
      distrust();
      return false;
    },
    async close() {
      closed = true;
      clearTimeout(reconnect);
      clearInterval(ping);
      const last = client;
      client = undefined;
      await last?.end().catch(() => undefined);
    },
  };
}
