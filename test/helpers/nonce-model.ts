/**
 * The nonce cache's rules written as plainly as they read (core/nonce-cache.ts), every step a
 * scan: the oracle the typed-array cache is checked against. Entries are kept by their exact
 * (clientId, nonce, ts), so the model has no collisions.
 */
interface Entry { clientId: string; nonce: string; ts: string; stamp: number; expiresAt: number; order: number }

export class NonceModel {
  private entries: Entry[] = [];
  private floors = new Map<string, { stamp: number; until: number }>();
  private floorsSweptAt = 0;
  private heaviest: string | undefined;
  private order = 0;
  constructor(private readonly windowMs: number, private readonly maxEntries: number) {}

  private live(clientId: string): number {
    return this.entries.filter((e) => e.clientId === clientId).length;
  }

  private remove(entry: Entry): void {
    this.entries = this.entries.filter((e) => e !== entry);
    if (this.heaviest === entry.clientId && this.live(entry.clientId) === 0) this.heaviest = undefined;
  }

  admit(clientId: string, nonce: string, ts: string, now: number): boolean {
    const stamp = Number(ts);
    const floor = this.floors.get(clientId);
    if (floor !== undefined && stamp <= floor.stamp && now < floor.until) return false;
    const same = this.entries.find((e) => e.clientId === clientId && e.nonce === nonce && e.ts === ts);
    if (same) {
      if (same.expiresAt > now) return false;
      this.remove(same);
    }
    // expired entries leave oldest first, stopping at the first one still live
    for (const entry of [...this.entries].sort((a, b) => a.order - b.order)) {
      if (entry.expiresAt > now) break;
      this.remove(entry);
    }
    while (this.entries.length >= this.maxEntries) {
      if (this.heaviest === undefined) {
        // the first client met (in first-admission order of those live) holding the most
        let most = -1;
        for (const e of [...this.entries].sort((a, b) => this.firstSeen.get(a.clientId)! - this.firstSeen.get(b.clientId)!)) {
          if (this.live(e.clientId) > most) [most, this.heaviest] = [this.live(e.clientId), e.clientId];
        }
      }
      const heaviest = this.heaviest!;
      const oldest = this.entries.filter((e) => e.clientId === heaviest).sort((a, b) => a.order - b.order)[0]!;
      this.remove(oldest);
      const held = this.floors.get(heaviest);
      this.floors.set(heaviest, { stamp: Math.max(held?.stamp ?? -Infinity, oldest.stamp), until: Math.max(held?.until ?? 0, oldest.expiresAt) });
    }
    if (this.floors.size > 0 && now - this.floorsSweptAt >= 1000) {
      this.floorsSweptAt = now;
      for (const [id, f] of this.floors) if (f.until <= now) this.floors.delete(id);
    }
    if (this.live(clientId) === 0) this.firstSeen.set(clientId, this.order);
    this.entries.push({ clientId, nonce, ts, stamp, expiresAt: now + this.windowMs, order: this.order++ });
    if (this.live(clientId) > (this.heaviest === undefined ? 0 : this.live(this.heaviest))) this.heaviest = clientId;
    return true;
  }

  /** When each client with live entries got its first of them: the order a Map of clients iterates in. */
  private firstSeen = new Map<string, number>();
}
