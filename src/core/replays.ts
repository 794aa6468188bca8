/**
 * Replays refused, counted: a nonce store that tallies each header it refuses, by how (replay or
 * orphaned), around the one the gateway uses (per process or shared through Redis), so neither
 * needs to know about counting.
 */
import type { GatewayEvents } from './events.js';
import type { NonceStore, NonceVerdict } from './hawk.js';

export function countingReplays(store: NonceStore, events: GatewayEvents): NonceStore {
  const counted = (verdict: NonceVerdict) => {
    if (verdict !== 'admitted') events.count('hawk-replay-refused', verdict);
    return verdict;
  };
  return {
    admit: (clientId, nonce, ts, now) => {
      const admitted = store.admit(clientId, nonce, ts, now);
      // the store in this process answers at once: counted with no promise between
      return typeof admitted === 'string' ? counted(admitted) : admitted.then(counted);
    },
  };
}
