/**
 * The Hawk nonce cache of replicas sharing Redis: a header accepted on one is refused on every
 * other for the whole window. One atomic `SET key 1 NX PX <window>` per header decides: no
 * read-then-write that two replicas could interleave.
 */
import { NONCE_WINDOW_MS, NonceCache, type NonceStore } from '../core/hawk.js';
import type { SharedState } from './shared-state.js';

export class SharedNonceCache implements NonceStore {
  constructor(private readonly shared: SharedState, private readonly local = new NonceCache()) {}

  async admit(clientId: string, nonce: string, ts: string, now = Date.now()): Promise<boolean> {
    // this replica's own memory first: a replay it saw costs no round trip, and it keeps guarding
    // (with its per-client floor) while Redis is unavailable
    if (!this.local.admit(clientId, nonce, ts, now)) return false;
    const key = `nonce:${JSON.stringify([clientId, nonce, ts])}`;
    return this.shared.run(async (redis) => (await redis.set(key, '1', 'PX', NONCE_WINDOW_MS, 'NX')) === 'OK', () => true);
  }
}
