/**
 * What the gateway counts of its own work, beyond answering HTTP: credentials issued and refused,
 * upstream retries and failures, token renewals, secret operations, replays refused, requests shed, and the
 * state of the database it depends on. A plain tally with typed event names: counting costs a few
 * map look-ups, cheap enough for every request. src/server.ts makes one per gateway and hands it
 * to the plugins; src/routes/metrics.ts reads it into Prometheus counters when they are scraped.
 */

/** Every event, with the words (at most two, each from a small fixed set) that split its count. */
export interface EventDetails {
  /** host-secrets: credentials issued to a proven host. */
  'host-credentials-issued': [];
  /** host-secrets: a request refused, by the check it failed. */
  'host-credentials-refused': [check: HostCredentialsCheck];
  /** host-secrets: no answer from the issuing thread (the request failed with 500). */
  'host-credentials-failed': [];
  /** A forwarding plugin sends a request again: after a retryable status (5xx, 429) or a connection error. */
  'upstream-retry': [plugin: string, reason: 'status' | 'connection'];
  /** A forwarding plugin had no answer from upstream to pass on (502, 504): unreachable, or too slow. */
  'upstream-error': [plugin: string, reason: 'connection' | 'timeout'];
  /** relengapi: a temporary token asked for (the first one included), by outcome. */
  'relengapi-token-renewal': [outcome: 'issued' | 'failed'];
  /** secrets: an audited request, by its action and outcome as the audit log names them. */
  'secret-operation': [operation: string, outcome: string];
  /** A Hawk header refused because its nonce was seen before: a replay (401), or orphaned (503: the replica that took it stopped before answering). */
  'hawk-replay-refused': [reason: 'replay' | 'orphaned'];
  /** A request shed (503) under overload, by the measure past its threshold (as @fastify/under-pressure names it: eventLoopDelay...). */
  'load-shed': [reason: string];
  /** A database operation that failed as an outage (503) or outlasted its deadline, by database. */
  'database-error': [database: Database, reason: 'outage' | 'timeout'];
  /** A configuration reload (SIGHUP): applied, or refused (a bad new configuration; nothing changed). */
  'config-reload': [result: 'applied' | 'refused'];
}

export type GatewayEvent = keyof EventDetails;
export type HostCredentialsCheck = 'client_address' | 'allowed_ips' | 'dns' | 'rate_limit';
/** The databases whose state is reported. */
export type Database = 'secrets';

/** What a read cache counts itself (hits on the hot path stay a plain increment), read at each scrape. */
export interface CacheCounts {
  readonly hits: number;
  readonly misses: number;
  /** Reads that could not use the cache (its change feed not current). */
  readonly bypassed: number;
  readonly invalidations: number;
}

/** The caches whose counts are reported. */
export type Cache = 'secrets';

/** One count, with the words that split it ('' where the event has fewer). */
export interface EventCount {
  event: GatewayEvent;
  details: [string, string];
  count: number;
}

export class GatewayEvents {
  /** Totals since start, by event, then first word, then second word. */
  readonly #counts = new Map<GatewayEvent, Map<string, Map<string, number>>>();
  /** Whether each database answered its last operation. */
  readonly #databases = new Map<Database, boolean>();
  readonly #caches = new Map<Cache, CacheCounts>();

  count<E extends GatewayEvent>(event: E, ...details: EventDetails[E]): void;
  count(event: GatewayEvent, first = '', second = ''): void {
    let byFirst = this.#counts.get(event);
    if (byFirst === undefined) this.#counts.set(event, (byFirst = new Map()));
    let bySecond = byFirst.get(first);
    if (bySecond === undefined) byFirst.set(first, (bySecond = new Map()));
    bySecond.set(second, (bySecond.get(second) ?? 0) + 1);
  }

  /** Every total counted so far (nothing for an event never counted). */
  *counts(): Iterable<EventCount> {
    for (const [event, byFirst] of this.#counts) {
      for (const [first, bySecond] of byFirst) {
        for (const [second, count] of bySecond) yield { event, details: [first, second], count };
      }
    }
  }

  /** A database answered an operation (up), or failed it as an outage (down). */
  reportDatabase(database: Database, up: boolean): void {
    this.#databases.set(database, up);
  }

  /** A cache whose own counts are read at each scrape. */
  reportCache(cache: Cache, counts: CacheCounts): void {
    this.#caches.set(cache, counts);
  }

  /** The caches reported, with their counts now. */
  caches(): ReadonlyMap<Cache, CacheCounts> {
    return this.#caches;
  }

  /** Each database's state as last reported; absent until its first operation. */
  databases(): ReadonlyMap<Database, boolean> {
    return this.#databases;
  }
}
