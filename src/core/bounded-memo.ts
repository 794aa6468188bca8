/**
 * A memo of answers keyed by what callers send (an ext, a scope set), bounded by its number of
 * entries and by the characters they hold, and emptied whole when either bound would be passed.
 * A count alone bounds nothing when each entry's size is the caller's choice: 10,000 exts of
 * ~3.5 KB, each resolved to a few hundred scopes, held ~200 MB (test/security/verified-material.test.ts).
 */

/** What a string kept in an array costs beside its characters (its header, the slot), roughly: measured, not exact. */
export const STRING_OVERHEAD = 32;

/** The weight of a list of strings: their characters, plus each one's overhead. */
export function listWeight(strings: readonly string[]): number {
  let weight = 0;
  for (const s of strings) weight += s.length + STRING_OVERHEAD;
  return weight;
}

export class BoundedMemo<V> {
  readonly #entries = new Map<string, { value: V; weight: number }>();
  #weight = 0;

  /** maxWeight: characters held at most, keys included (listWeight for lists of strings). */
  constructor(readonly maxEntries: number, readonly maxWeight: number) {}

  get(key: string): V | undefined {
    return this.#entries.get(key)?.value;
  }

  /** Keeps `value` under `key`; `weight` is what the value holds (the key's own length is added here). */
  set(key: string, value: V, weight: number): void {
    const total = key.length + weight;
    // one entry past the bound would only empty the memo for nothing
    if (total > this.maxWeight) return;
    const replaced = this.#entries.get(key);
    if (replaced) {
      this.#entries.delete(key);
      this.#weight -= replaced.weight;
    }
    if (this.#entries.size >= this.maxEntries || this.#weight + total > this.maxWeight) this.clear();
    this.#entries.set(key, { value, weight: total });
    this.#weight += total;
  }

  clear(): void {
    this.#entries.clear();
    this.#weight = 0;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Characters held now, keys included. */
  get weight(): number {
    return this.#weight;
  }
}
