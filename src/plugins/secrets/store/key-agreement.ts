/**
 * Key rotation with gateways serving throughout. Each gateway on a database publishes its ring's
 * key ids, each key's fingerprint, and the key it encrypts with (rows.ts PublishedRing), and
 * encrypts with the newest key of its ring that every other live gateway holds too: a key
 * appended to one gateway's file is not used until all of them can decrypt with it, so no
 * gateway is ever handed a row it cannot read. Rows carry only a key id, so "holds" means the
 * same id with the same fingerprint: keys files that give one id different bytes (each host
 * generated its own "k2") are refused, by a gateway loading such a ring and by rotate-keys and
 * keys status. A ring is also refused while it lacks a key that rows, or a live gateway's writes,
 * still use; rotation is refused until every live gateway encrypts with the newest key.
 */
import { keyFingerprint, newestKey } from './keys.js';
import type { KeyUsage, PublishedRing } from './rows.js';
import type { EncryptionKey, KeyRing } from './types.js';

/** A gateway's entry stays live for this many heartbeats: one or two missed ones do not drop it. */
export const HEARTBEATS_VALID = 3;

/** rotate-keys cannot run now; the message says why and what to do. */
export class RotationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotationRefused';
  }
}

/** Key id → fingerprint, as a ring is published. */
export function fingerprintsOf(ring: KeyRing): ReadonlyMap<string, string> {
  return new Map(ring.keys.map((key) => [key.id, keyFingerprint(key)]));
}

/** Whether `gateway` holds `key`: its id, with the same fingerprint (or none, published before fingerprints). */
function holds(gateway: PublishedRing, key: EncryptionKey, fingerprint: string): boolean {
  const theirs = gateway.fingerprints.get(key.id);
  return gateway.keyIds.includes(key.id) && (theirs === undefined || theirs === fingerprint);
}

/** The newest key of `ring` that every gateway in `others` holds; the newest when none does. */
export function writeKeyFor(ring: KeyRing, others: readonly PublishedRing[]): EncryptionKey {
  const shared = ring.keys.filter((key) => others.every((gateway) => holds(gateway, key, keyFingerprint(key))));
  return shared.at(-1) ?? newestKey(ring);
}

/** A ring with a name for messages: a live gateway, or the ring being loaded. */
export interface KeyHolder {
  name: string;
  fingerprints: ReadonlyMap<string, string>;
}

export const holderOf = (gateway: PublishedRing): KeyHolder => ({ name: `gateway ${gateway.gatewayId}`, fingerprints: gateway.fingerprints });

/**
 * Key ids among `ids` that name different keys in different holders, as readable phrases (ids
 * and holder names only); empty when every holder of each id has the same key.
 */
export function differingKeys(holders: readonly KeyHolder[], ids: Iterable<string>): string[] {
  return [...new Set(ids)].flatMap((id) => {
    const byFingerprint = new Map<string, string[]>();
    for (const { name, fingerprints } of holders) {
      const fingerprint = fingerprints.get(id);
      if (fingerprint !== undefined) byFingerprint.set(fingerprint, [...(byFingerprint.get(fingerprint) ?? []), name]);
    }
    if (byFingerprint.size < 2) return [];
    return [`key id "${id}" is a different key in ${[...byFingerprint.values()].map((names) => names.join(' and ')).join(' than in ')}`];
  });
}

/** What a ring of `keyIds` would leave undecryptable, as readable phrases; empty when nothing. */
export function keysStillNeeded(keyIds: readonly string[], usage: readonly KeyUsage[], others: readonly PublishedRing[]): string[] {
  const held = new Set(keyIds);
  return [
    ...usage.filter((use) => use.rows > 0 && !held.has(use.keyId))
      .map((use) => `key id "${use.keyId}" still encrypts ${use.rows} stored row${use.rows === 1 ? '' : 's'}`),
    ...others.filter((gateway) => !held.has(gateway.writeKeyId))
      .map((gateway) => `gateway ${gateway.gatewayId} still encrypts new rows with key id "${gateway.writeKeyId}"`),
  ];
}

/** Live gateways not yet encrypting with `newestId`, described for the operator. */
export function gatewaysBehind(newestId: string, live: readonly PublishedRing[]): string[] {
  return live.filter((gateway) => gateway.writeKeyId !== newestId).map((gateway) => gateway.keyIds.includes(newestId)
    ? `gateway ${gateway.gatewayId} holds key id "${newestId}" but still encrypts with "${gateway.writeKeyId}" (it switches once every live gateway holds "${newestId}", at its next heartbeat)`
    : `gateway ${gateway.gatewayId} lacks key id "${newestId}" (it holds ${gateway.keyIds.map((id) => `"${id}"`).join(', ')}): update its keys file, or send it SIGHUP`);
}
