/**
 * Prometheus metrics: every listener counts and times its requests into one registry, which
 * the admin listener serves at /metrics (kept off the task-facing listeners).
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GatewayEvent, GatewayEvents } from '../core/events.js';
import { declareRoutes, type ApiRoute } from '../fastify/routes.js';

/** Records one answer of a listener: its method, status and time to answer. */
export type AnswerRecorder = (method: string, statusCode: number, seconds: number) => void;

export interface GatewayMetrics {
  registry: Registry;
  requests: Counter<'listener' | 'method' | 'status'>;
  duration: Histogram<'listener'>;
  /** The recorder of one listener's answers: cheap enough to call for every request. */
  recorder(listener: string): AnswerRecorder;
}

interface Tally {
  labels: { listener: string; method: string; status: string };
  count: number;
}

/** A registry with prom-client's metrics of the process and the gateway's request counters. */
export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gateway_' });
  // Answers are tallied in a plain map and added to the counter when it is read: prom-client's
  // inc() builds, validates and hashes its labels on every call, several times the cost of this.
  const unreported = new Map<string, Tally>();
  const requests = new Counter({
    name: 'gateway_requests_total', help: 'Requests answered', labelNames: ['listener', 'method', 'status'], registers: [registry],
    collect() {
      for (const tally of unreported.values()) {
        if (tally.count === 0) continue;
        this.inc(tally.labels, tally.count);
        tally.count = 0;
      }
    },
  });
  const duration = new Histogram({ name: 'gateway_request_duration_seconds', help: 'Time to answer', labelNames: ['listener'], registers: [registry], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30] });
  return {
    registry,
    requests,
    duration,
    recorder(listener) {
      // the listener's own child: its labels are checked once here, not on every observation
      const { observe } = duration.labels({ listener });
      return (method, statusCode, seconds) => {
        const key = `${listener} ${method} ${statusCode}`;
        const tally = unreported.get(key);
        if (tally) tally.count++;
        else unreported.set(key, { labels: { listener, method, status: String(statusCode) }, count: 1 });
        observe(seconds);
      };
    },
  };
}

/** `gateway_redis_up`: 1 while the Redis shared by replicas answers, 0 while this one runs on per-process state. */
export function redisGauge(metrics: GatewayMetrics, shared: { readonly available: boolean }): void {
  new Gauge({
    name: 'gateway_redis_up', help: '1 while Redis (replay protection and rate limits shared by replicas) answers, 0 while this replica runs on per-process state', registers: [metrics.registry],
    collect() {
      this.set(shared.available ? 1 : 0);
    },
  });
}

type Labels = Record<string, string>;

/**
 * The counters made from the gateway's events: each event's fixed labels, its words filling the
 * other label names in order (a word an event does not have leaves its label out). `zeros`: the
 * label sets shown as 0 before their first event, so a rate over them starts from the first scrape.
 */
const EVENT_COUNTERS: Array<{ name: string; help: string; labelNames: string[]; events: Partial<Record<GatewayEvent, Labels>>; zeros?: Labels[] }> = [
  {
    name: 'gateway_host_credentials_total',
    help: 'host-secrets credential requests by outcome (issued, refused, failed) and, when refused, the check that failed (client_address, allowed_ips, dns, rate_limit)',
    labelNames: ['outcome', 'check'],
    events: { 'host-credentials-issued': { outcome: 'issued' }, 'host-credentials-refused': { outcome: 'refused' }, 'host-credentials-failed': { outcome: 'failed' } },
  },
  {
    name: 'gateway_upstream_retries_total',
    help: 'Requests sent upstream again by a forwarding plugin, by reason (status: 5xx or 429; connection: a connection error)',
    labelNames: ['plugin', 'reason'],
    events: { 'upstream-retry': {} },
  },
  {
    name: 'gateway_upstream_errors_total',
    help: 'Requests a forwarding plugin answered with an error of its own, no upstream answer had (connection: 502, timeout: 504)',
    labelNames: ['plugin', 'reason'],
    events: { 'upstream-error': {} },
  },
  {
    name: 'gateway_relengapi_token_renewals_total',
    help: 'Temporary RelengAPI tokens asked for, the first included, by outcome (issued, failed)',
    labelNames: ['outcome'],
    events: { 'relengapi-token-renewal': {} },
  },
  {
    name: 'gateway_secret_operations_total',
    help: 'Audited secrets API requests by operation and outcome, as the audit log names them',
    labelNames: ['operation', 'outcome'],
    events: { 'secret-operation': {} },
  },
  {
    name: 'gateway_hawk_replays_refused_total',
    help: 'Hawk headers refused because their nonce was seen before (within the 15-minute window), by reason (replay: 401; orphaned: 503, the header was taken by a replica that stopped before answering, and the balancer passed the request on)',
    labelNames: ['reason'],
    events: { 'hawk-replay-refused': {} },
    zeros: [{ reason: 'replay' }, { reason: 'orphaned' }],
  },
  {
    name: 'gateway_load_shed_total',
    help: 'Requests answered 503 under overload, by the measure past its threshold (eventLoopDelay, eventLoopUtilization, heapUsedBytes, rssBytes)',
    labelNames: ['reason'],
    events: { 'load-shed': {} },
  },
  {
    name: 'gateway_database_errors_total',
    help: 'Database operations that failed as an outage (answered 503) or outlasted their deadline, by database',
    labelNames: ['database', 'reason'],
    events: { 'database-error': {} },
  },
  {
    name: 'gateway_config_reloads_total',
    help: 'Configuration reloads (SIGHUP) by result (applied; refused: the new configuration was bad and nothing changed)',
    labelNames: ['result'],
    events: { 'config-reload': {} },
  },
];

/**
 * The counters of the gateway's events, read from the tally at each scrape (totals since start),
 * and `gateway_database_up`, from the outcome of each database's last operation.
 */
export function eventMetrics(metrics: GatewayMetrics, events: GatewayEvents): void {
  for (const { name, help, labelNames, events: fixedLabels, zeros = [] } of EVENT_COUNTERS) {
    new Counter({
      name, help, labelNames, registers: [metrics.registry],
      collect() {
        // the tally holds totals: set from them afresh, so reading twice counts nothing twice
        this.reset();
        for (const labels of zeros) this.inc(labels, 0);
        for (const { event, details, count } of events.counts()) {
          const fixed = fixedLabels[event];
          if (!fixed) continue;
          const labels: Labels = { ...fixed };
          const free = labelNames.filter((label) => !(label in fixed));
          free.forEach((label, i) => {
            if (details[i]) labels[label] = details[i];
          });
          this.inc(labels, count);
        }
      },
    });
  }
  new Gauge({
    name: 'gateway_database_up', help: '1 while the database answered its last operation (a gateway with the secrets plugin makes one at least every secrets.keysHeartbeatSec), 0 after an outage', labelNames: ['database'], registers: [metrics.registry],
    collect() {
      for (const [database, up] of events.databases()) this.set({ database }, up ? 1 : 0);
    },
  });
  new Counter({
    name: 'gateway_cache_reads_total', help: 'Reads asked of a read cache, by cache and result (hit, miss; bypassed: the cache could not vouch for what it holds, its change feed down)', labelNames: ['cache', 'result'], registers: [metrics.registry],
    collect() {
      this.reset();
      for (const [cache, counts] of events.caches()) {
        this.inc({ cache, result: 'hit' }, counts.hits);
        this.inc({ cache, result: 'miss' }, counts.misses);
        this.inc({ cache, result: 'bypassed' }, counts.bypassed);
      }
    },
  });
  new Counter({
    name: 'gateway_cache_invalidations_total', help: 'Entries of a read cache dropped because they changed, whole flushes included, by cache', labelNames: ['cache'], registers: [metrics.registry],
    collect() {
      this.reset();
      for (const [cache, counts] of events.caches()) this.inc({ cache }, counts.invalidations);
    },
  });
}

/** Counts every answer of the listener it is registered on. */
export const requestMetrics = fp<{ metrics: GatewayMetrics; listener: string }>(
  async (app, { metrics, listener }) => {
    const record = metrics.recorder(listener);
    // a callback hook, not an async one: no promise per request
    app.addHook('onResponse', (request, reply, done) => {
      record(request.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  },
  { name: 'taskcluster-gateway-request-metrics', fastify: '5.x' },
);

/** The admin listener's metrics table. */
export function metricsTable(metrics: GatewayMetrics): ApiRoute[] {
  return [{
    method: 'GET',
    url: '/metrics',
    name: 'metrics',
    title: 'Prometheus Metrics',
    description: 'Every listener\'s requests counted and timed, the process\'s own figures and Redis\'s availability, in Prometheus\' text format. Served on the admin listener only.',
    // the admin listener is the boundary: it listens where only operators reach it
    scopes: null,
    answersHead: true,
    handler: async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  }];
}

export const metricsRoute: FastifyPluginAsync<{ metrics: GatewayMetrics }> = async (app, { metrics }) => {
  await declareRoutes(app, metricsTable(metrics));
};
