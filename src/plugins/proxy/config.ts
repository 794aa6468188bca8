/**
 * Settings of the Hawk-signing proxy, and its start: the root URL is required and the shared
 * credential holder (services.holder()) is what it signs with.
 */
import { ConfigError, requireSetting } from '../../config/settings.js';
import { definePluginModule } from '../module.js';
import { proxyPlugin, type ProxyPluginOptions } from './index.js';
import { DEFAULT_RETRY } from './retry.js';
import { TargetResolver } from './target.js';

const env = (name: string) => `GATEWAY_PROXY_${name}`;

export const proxySchema = {
  proxy: {
    allowedHosts: {
      doc: 'Hosts the /<hostname>/<path> form may reach, comma-separated, exact or *.suffix; empty = any (as taskcluster-proxy)',
      format: Array, default: [] as string[], env: env('ALLOWED_HOSTS'), arg: 'proxy-allowed-hosts',
    },
    bufferLimit: {
      doc: 'Request bodies up to this many bytes are held and replayed on retry; larger ones stream once, never retried',
      format: 'nat', default: 1024 * 1024, env: env('BUFFER_LIMIT'), arg: 'proxy-buffer-limit',
    },
    timeoutMs: {
      doc: 'Longest wait for an upstream\'s response headers, and between two body chunks (504 after)',
      format: 'nat', default: 5 * 60_000, env: env('TIMEOUT_MS'), arg: 'proxy-timeout-ms',
    },
    logRequests: {
      doc: 'Log every proxied request at info; off by default, since a line per request costs about 5 % of the CPU of a small proxied request (warnings and errors are always logged, with the request id)',
      format: Boolean, default: false, env: env('LOG_REQUESTS'), arg: 'proxy-log-requests',
    },
    connections: {
      doc: 'Kept-alive connections per upstream origin',
      format: 'nat', default: 128, env: env('CONNECTIONS'), arg: 'proxy-connections',
    },
    retry: {
      initialMs: { doc: 'First wait before retrying (connection errors, 5xx, 429)', format: 'nat', default: DEFAULT_RETRY.initialMs, env: env('RETRY_INITIAL_MS'), arg: 'proxy-retry-initial-ms' },
      multiplier: { doc: 'Growth factor of each further wait', format: Number, default: DEFAULT_RETRY.multiplier, env: env('RETRY_MULTIPLIER'), arg: 'proxy-retry-multiplier' },
      randomization: { doc: 'Jitter: each wait is drawn within ±this fraction', format: Number, default: DEFAULT_RETRY.randomization, env: env('RETRY_RANDOMIZATION'), arg: 'proxy-retry-randomization' },
      maxIntervalMs: { doc: 'Cap on one wait', format: 'nat', default: DEFAULT_RETRY.maxIntervalMs, env: env('RETRY_MAX_INTERVAL_MS'), arg: 'proxy-retry-max-interval-ms' },
      maxElapsedMs: { doc: 'No retry starts after this long since the first attempt; 0 = never retry', format: 'nat', default: DEFAULT_RETRY.maxElapsedMs, env: env('RETRY_MAX_ELAPSED_MS'), arg: 'proxy-retry-max-elapsed-ms' },
    },
  },
};

export const proxyModule = definePluginModule({
  name: 'proxy',
  schema: proxySchema,
  async create({ proxy: settings }, services) {
    const rootUrl = requireSetting(services.settings.taskcluster.rootUrl, 'taskcluster.rootUrl', 'TASKCLUSTER_ROOT_URL, --root-url');
    try {
      new TargetResolver(rootUrl, settings.allowedHosts);
    } catch (err) {
      throw new ConfigError(`taskcluster.rootUrl: ${(err as Error).message}`);
    }
    const { randomization, multiplier } = settings.retry;
    if (randomization < 0 || randomization > 1) throw new ConfigError('proxy.retry.randomization must be between 0 and 1');
    if (multiplier < 1) throw new ConfigError('proxy.retry.multiplier must be at least 1');
    const holder = services.holder();
    const options: ProxyPluginOptions = {
      holder,
      rootUrl,
      allowedHosts: settings.allowedHosts,
      retry: settings.retry,
      bufferLimit: settings.bufferLimit,
      timeoutMs: settings.timeoutMs,
      connections: settings.connections,
      logRequests: settings.logRequests,
    };
    return { plugin: proxyPlugin, options: options as unknown as Record<string, unknown> };
  },
});
