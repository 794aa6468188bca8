/**
 * The periodic removal of expired secrets and unclaimed bootstrap entries. The timer never
 * keeps the process alive; on PostgreSQL the store lets one replica sweep at a time.
 */
import type { Logger } from 'pino';
import type { SecretStore } from './store/index.js';

export interface Sweeper {
  /** One sweep now (also what the timer runs); resolves with the secrets removed. */
  sweep(): Promise<number>;
  stop(): void;
}

export function startSweeper(store: SecretStore, options: { clientId: string; intervalSec: number; log: Logger }): Sweeper {
  const sweep = async () => {
    try {
      const removed = await store.sweepExpired(options.clientId);
      if (removed > 0) options.log.info({ removed }, 'secrets: expired secrets removed');
      return removed;
    } catch (err) {
      options.log.error({ err }, 'secrets: sweeping expired secrets failed; will retry');
      return 0;
    }
  };
  const timer = options.intervalSec > 0 ? setInterval(() => void sweep(), options.intervalSec * 1000) : undefined;
  timer?.unref();
  return { sweep, stop: () => clearInterval(timer) };
}
