/**
 * Prometheus metrics: every listener counts and times its requests into one registry, which
 * the admin listener serves at /metrics (kept off the task-facing listeners).
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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
