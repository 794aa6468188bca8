/**
 * Replays refused, counted: a nonce store that tallies each header it refuses, around the one
 * the gateway uses (per process or shared through Redis), so neither needs to know about counting.
 */
import type { GatewayEvents } from './events.js';
import type { NonceStore } from './hawk.js';

export function countingReplays(store: NonceStore, events: GatewayEvents): NonceStore {
  const counted = (admitted: boolean) => {
    if (!admitted) events.count('hawk-replay-refused');
    return admitted;
  };
  return {
    admit: (clientId, nonce, ts, now) => {
      const admitted = store.admit(clientId, nonce, ts, now);
      // the store in this process answers at once: counted with no promise between
      return typeof admitted === 'boolean' ? counted(admitted) : admitted.then(counted);
    },
  };
}
