/**
 * Redis shared by the replicas of one deployment (`--redis-url`): the Hawk nonces they have
 * accepted (each naming the connection of the replica that took it) and their rate-limit
 * counters. Redis is a helper, not a dependency: a command that
 * fails, or takes longer than `timeoutMs`, marks Redis unavailable; until a probe (a PING every
 * second, and each /__heartbeat__) is answered again, callers run on their own per-process state
 * (fail open, one warning line per outage), or with `--redis-required` are refused 503.
 */
import { once } from 'node:events';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { withinDeadline } from '../core/deadline.js';
import { GatewayError } from '../core/errors.js';

export interface SharedStateSettings {
  /** redis:// or rediss:// URL. */
  url: string;
  /** Refuse (503) rather than fall back to per-process state while Redis is unavailable. */
  required: boolean;
  /** Longest wait for one command. */
  timeoutMs: number;
  /** Prefix of every key written, so deployments can share one Redis. */
  keyPrefix: string;
}

/** While Redis is unavailable, how often a PING asks whether it is back. */
const PROBE_INTERVAL_MS = 1000;

type Availability = 'starting' | 'available' | 'unavailable';

export class SharedState {
  /**
   * The connection, for libraries that take an ioredis client (@fastify/rate-limit's store);
   * every command must go through `run`, which bounds it and falls back.
   */
  readonly client: Redis;
  /**
   * Redis's id of the connection (`CLIENT ID`), learnt after each connect, so a record can name the
   * connection that wrote it and another replica can ask whether that connection is still open;
   * undefined until learnt. Ids are never reused while Redis runs.
   */
  connectionId: string | undefined;
  /** Counts connections closed: an id learnt on one already closed is stale, never kept. */
  private connections = 0;
  private learnt: Promise<void> = Promise.resolve();
  private availability: Availability = 'starting';
  private probeTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(private readonly settings: SharedStateSettings, private readonly log: Logger) {
    this.client = new Redis(settings.url, {
      keyPrefix: settings.keyPrefix,
      // while the connection is down a command fails at once, not after a queue drains
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: settings.timeoutMs,
      connectTimeout: Math.max(settings.timeoutMs, 1000),
      // reconnect soon after Redis returns: the default backs off to 5 s
      retryStrategy: (attempt) => Math.min(attempt * 100, PROBE_INTERVAL_MS),
    });
    // the outage is reported once, by markUnavailable; unheard, ioredis prints every failed reconnect
    this.client.on('error', () => {});
    this.client.on('ready', () => (this.learnt = this.learnConnectionId()));
    this.client.on('close', () => {
      this.connections++;
      this.connectionId = undefined;
    });
  }

  private async learnConnectionId(): Promise<void> {
    const connection = this.connections;
    try {
      const id = String(await this.client.client('ID'));
      if (connection === this.connections) this.connectionId = id;
    } catch {
      // closed before it answered: the next connection asks again
    }
  }

  /** Connects, waiting at most the connect timeout: a Redis down at start is an outage like any other. */
  static async open(settings: SharedStateSettings, log: Logger): Promise<SharedState> {
    const state = new SharedState(settings, log);
    const connectMs = Math.max(settings.timeoutMs, 1000);
    try {
      await withinDeadline(once(state.client, 'ready').then(() => state.learnt), connectMs, () => new Error(`not connected within ${connectMs} ms`));
      state.markAvailable();
    } catch (err) {
      state.markUnavailable(err);
    }
    return state;
  }

  get available(): boolean {
    return this.availability === 'available';
  }

  /** The longest wait for one command (`--redis-timeout-ms`): how slow Redis may be and still count as available. */
  get timeoutMs(): number {
    return this.settings.timeoutMs;
  }

  /**
   * `op` on Redis; while Redis is unavailable, or when `op` fails or times out, `fallback`, the
   * per-process answer, or 503 ServiceUnavailable under `--redis-required`.
   */
  async run<T>(op: (redis: Redis) => Promise<T>, fallback: () => T): Promise<T> {
    if (this.availability === 'available') {
      try {
        return await op(this.client);
      } catch (err) {
        this.markUnavailable(err);
      }
    }
    if (this.settings.required) {
      throw new GatewayError('ServiceUnavailable', 'Redis, which this gateway shares with its replicas, is unavailable, and the gateway is configured to refuse requests without it (--redis-required)');
    }
    return fallback();
  }

  /**
   * The /__heartbeat__ check, which also probes: 'degraded' while Redis is unavailable (this
   * replica still serves, on its own state); a failure under `--redis-required`.
   */
  async check(): Promise<'degraded' | undefined> {
    if (await this.probe()) return undefined;
    if (this.settings.required) throw new Error('Redis unavailable');
    return 'degraded';
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.probeTimer);
    this.client.disconnect();
  }

  private async probe(): Promise<boolean> {
    try {
      await this.client.ping();
      this.markAvailable();
      return true;
    } catch (err) {
      this.markUnavailable(err);
      return false;
    }
  }

  private markAvailable(): void {
    if (this.availability === 'unavailable') this.log.info('Redis answers again: replay protection and rate limits are shared with the other replicas again');
    this.availability = 'available';
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private markUnavailable(err: unknown): void {
    // closing cuts the commands in flight: that is no outage
    if (this.availability === 'unavailable' || this.closed) return;
    this.availability = 'unavailable';
    // the reason only: an ioredis error can carry the command and its arguments
    const reason = err instanceof Error ? err.message : String(err);
    this.log.warn(
      { reason, timeoutMs: this.settings.timeoutMs },
      this.settings.required
        ? 'Redis unavailable: requests that need it are refused (503) until it answers again (--redis-required)'
        : 'Redis unavailable: replay protection and rate limits are per process until it answers again',
    );
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.closed || this.probeTimer) return;
    this.probeTimer = setTimeout(async () => {
      this.probeTimer = undefined;
      if (!(await this.probe())) this.scheduleProbe();
    }, PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }
}
