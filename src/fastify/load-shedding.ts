/**
 * Load shedding: while the process is overloaded (the event loop's delay or utilization, the
 * heap or the resident set past their thresholds), every request of the listener, Dockerflow's
 * `/__lbheartbeat__` included, is answered at once with 503 ServiceUnavailable in Taskcluster's
 * shape and a `Retry-After`, so latency stays bounded and a balancer steers to other replicas.
 * @fastify/under-pressure measures (one sample per interval, each holding until the next); the
 * answer is thrown to the one error renderer. One warning when shedding starts, one line when
 * it ends: never a line per shed request beyond the request's own.
 */
import fp from 'fastify-plugin';
import underPressure from '@fastify/under-pressure';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.js';
import type { GatewayEvents } from '../core/events.js';
import { ConfigError } from '../config/settings.js';
import type { CoreSettings } from '../config/schema.js';

export type LoadSheddingSettings = CoreSettings['loadShedding'];

/** What each of under-pressure's measurements is, for the message and the log. */
const MEASURES: Record<string, { what: string; limit: keyof LoadSheddingSettings; unit: (value: number) => string }> = {
  eventLoopDelay: { what: 'event loop delay', limit: 'maxEventLoopDelayMs', unit: (v) => `${Math.round(v)} ms` },
  eventLoopUtilization: { what: 'event loop utilization', limit: 'maxEventLoopUtilization', unit: (v) => v.toFixed(2) },
  heapUsedBytes: { what: 'heap used', limit: 'maxHeapUsedBytes', unit: (v) => `${v} bytes` },
  rssBytes: { what: 'resident set', limit: 'maxRssBytes', unit: (v) => `${v} bytes` },
};

function checked(settings: LoadSheddingSettings): LoadSheddingSettings {
  // the delay is sampled every 10 ms: a shorter sample could hold none, which the library reads as an infinite delay
  if (settings.sampleIntervalMs < 100) throw new ConfigError('setting loadShedding.sampleIntervalMs (--load-sample-interval-ms) must be at least 100');
  if (settings.retryAfterSec < 1) throw new ConfigError('setting loadShedding.retryAfterSec (--load-retry-after-sec) must be at least 1');
  return settings;
}

/** True when some threshold is set: with none, nothing is measured and no hook is added. */
export function shedsLoad(settings: LoadSheddingSettings): boolean {
  return settings.maxEventLoopDelayMs > 0 || settings.maxEventLoopUtilization > 0 || settings.maxHeapUsedBytes > 0 || settings.maxRssBytes > 0;
}

export const loadShedding = fp<LoadSheddingSettings & { events?: GatewayEvents }>(
  async (app, options) => {
    const settings = checked(options);
    if (!shedsLoad(settings)) return;
    const retryAfter = String(settings.retryAfterSec);
    let shedding: string | undefined;
    const overloaded = (type: string, value: number | undefined): string => {
      const measure = MEASURES[type];
      if (!measure || value === undefined) return type;
      // no measurement in a whole sample: the loop never turned to take one
      const measured = Number.isFinite(value) ? measure.unit(value) : 'beyond measure';
      return `${measure.what} ${measured}, over ${measure.unit(settings[measure.limit] as number)}`;
    };
    await app.register(underPressure, {
      sampleInterval: settings.sampleIntervalMs,
      maxEventLoopDelay: settings.maxEventLoopDelayMs,
      maxEventLoopUtilization: settings.maxEventLoopUtilization,
      // the share of the last sample, not of the whole life of the process
      eventLoopUtilizationMode: 'interval',
      maxHeapUsedBytes: settings.maxHeapUsedBytes,
      maxRssBytes: settings.maxRssBytes,
      pressureHandler: (_request: FastifyRequest, _reply: FastifyReply, type: string, value: number | undefined) => {
        options.events?.count('load-shed', type);
        const reason = overloaded(type, value);
        if (shedding === undefined) app.log.warn({ reason }, 'overloaded: shedding load (503) until it passes');
        shedding = reason;
        return Promise.reject(new GatewayError('ServiceUnavailable', `The gateway is overloaded (${reason}); retry after ${retryAfter} s, or on another replica`, undefined, { retryAfterSec: settings.retryAfterSec }));
      },
    });
    const endOfEpisode = () => {
      if (shedding === undefined || app.isUnderPressure()) return;
      app.log.info({ reason: shedding }, 'load back under the thresholds: serving again');
      shedding = undefined;
    };
    // the first request served again says so before its answer (under-pressure's own hook ran first),
    // so the log never shows requests served inside an episode it has not yet ended
    app.addHook('onRequest', async () => endOfEpisode());
    // and between requests: a balancer may have stopped sending any
    const watch = setInterval(endOfEpisode, settings.sampleIntervalMs);
    watch.unref();
    app.addHook('onClose', async () => clearInterval(watch));
  },
  { name: 'taskcluster-gateway-load-shedding', fastify: '5.x' },
);
