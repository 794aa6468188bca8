/**
 * The forwarding settings as a convict schema fragment, the same for every forwarding plugin
 * under its own section and flag prefix (`proxy.retry.initialMs`, `--proxy-retry-initial-ms`,
 * GATEWAY_PROXY_RETRY_INITIAL_MS), and their check.
 */
import { ConfigError, type SettingsOf } from '../../config/settings.js';
import { FORWARDING_DEFAULTS } from './forwarder.js';
import { DEFAULT_RETRY } from './retry.js';

/** The fragment for a section whose flags start `--<flag>-` and variables `GATEWAY_<FLAG>_`. */
export function forwardingSchema(flag: string) {
  const env = (name: string) => `GATEWAY_${flag.toUpperCase()}_${name}`;
  const arg = (name: string) => `${flag}-${name}`;
  return {
    bufferLimit: {
      doc: 'Request bodies up to this many bytes are held and replayed on retry; larger ones stream once, never retried',
      format: 'nat', default: FORWARDING_DEFAULTS.bufferLimit as number, env: env('BUFFER_LIMIT'), arg: arg('buffer-limit'),
    },
    timeoutMs: {
      doc: 'Longest wait for an upstream\'s response headers, and between two body chunks (504 after)',
      format: 'nat', default: FORWARDING_DEFAULTS.timeoutMs as number, env: env('TIMEOUT_MS'), arg: arg('timeout-ms'),
    },
    connections: {
      doc: 'Kept-alive connections per upstream origin',
      format: 'nat', default: FORWARDING_DEFAULTS.connections as number, env: env('CONNECTIONS'), arg: arg('connections'),
    },
    retry: {
      initialMs: { doc: 'First wait before retrying (connection errors before any answer, 5xx, 429)', format: 'nat', default: DEFAULT_RETRY.initialMs, env: env('RETRY_INITIAL_MS'), arg: arg('retry-initial-ms') },
      multiplier: { doc: 'Growth factor of each further wait', format: Number, default: DEFAULT_RETRY.multiplier, env: env('RETRY_MULTIPLIER'), arg: arg('retry-multiplier') },
      randomization: { doc: 'Jitter: each wait is drawn within ±this fraction', format: Number, default: DEFAULT_RETRY.randomization, env: env('RETRY_RANDOMIZATION'), arg: arg('retry-randomization') },
      maxIntervalMs: { doc: 'Cap on one wait', format: 'nat', default: DEFAULT_RETRY.maxIntervalMs, env: env('RETRY_MAX_INTERVAL_MS'), arg: arg('retry-max-interval-ms') },
      maxElapsedMs: { doc: 'No retry starts after this long since the first attempt; 0 = never retry', format: 'nat', default: DEFAULT_RETRY.maxElapsedMs, env: env('RETRY_MAX_ELAPSED_MS'), arg: arg('retry-max-elapsed-ms') },
    },
  };
}

export type ForwardingSettings = SettingsOf<ReturnType<typeof forwardingSchema>>;

/** Settings convict's formats cannot check alone; ConfigError naming the setting. */
export function checkForwardingSettings(settings: ForwardingSettings, section: string): ForwardingSettings {
  const { randomization, multiplier } = settings.retry;
  if (randomization < 0 || randomization > 1) throw new ConfigError(`${section}.retry.randomization must be between 0 and 1`);
  if (multiplier < 1) throw new ConfigError(`${section}.retry.multiplier must be at least 1`);
  return settings;
}
