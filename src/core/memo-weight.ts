/**
 * The characters a memo keyed by what callers send keeps, for lru-cache's `maxSize`: a count of
 * entries alone bounds nothing when each entry's size is the caller's choice (10,000 exts of
 * ~3.5 KB, each resolved to a few hundred scopes, held ~200 MB: test/security/verified-material.test.ts).
 */

/** What a string kept in memory costs beside its characters (its header, its slot), roughly: measured, not exact. */
const STRING_OVERHEAD = 32;

/** An entry keyed by `key` holding `strings`: each string's characters and overhead (never 0, a size lru-cache throws on). */
export function entryWeight(key: string, strings: readonly string[]): number {
  let weight = key.length + STRING_OVERHEAD;
  for (const s of strings) weight += s.length + STRING_OVERHEAD;
  return weight;
}
