/**
 * Prometheus metrics: every listener counts and times its requests into one registry, which
 * the admin listener serves at /metrics (kept off the task-facing listeners).
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GatewayMetrics {
  registry: Registry;
  requests: Counter<'listener' | 'method' | 'status'>;
  duration: Histogram<'listener'>;
}

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gateway_' });
  return {
    registry,
    requests: new Counter({ name: 'gateway_requests_total', help: 'Requests answered', labelNames: ['listener', 'method', 'status'], registers: [registry] }),
    duration: new Histogram({ name: 'gateway_request_duration_seconds', help: 'Time to answer', labelNames: ['listener'], registers: [registry], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30] }),
  };
}

/** Counts every answer of the listener it is registered on. */
export const requestMetrics = fp<{ metrics: GatewayMetrics; listener: string }>(
  async (app, { metrics, listener }) => {
    app.addHook('onResponse', async (request, reply) => {
      metrics.requests.inc({ listener, method: request.method, status: String(reply.statusCode) });
      metrics.duration.observe({ listener }, reply.elapsedTime / 1000);
    });
  },
  { name: 'taskcluster-gateway-request-metrics', fastify: '5.x' },
);

export const metricsRoute: FastifyPluginAsync<{ metrics: GatewayMetrics }> = async (app, { metrics }) => {
  app.get('/metrics', { config: { scopes: null } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
