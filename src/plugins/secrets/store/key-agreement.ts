/**
 * Key rotation with gateways serving throughout. Each gateway on a database publishes its ring's
 * key ids and the key it encrypts with (rows.ts PublishedRing), and encrypts with the newest key
 * of its ring that every other live gateway holds too: a key appended to one gateway's file is
 * not used until all of them can decrypt with it, so no gateway is ever handed a row it cannot
 * read. A ring is refused while it lacks a key that rows, or a live gateway's writes, still use;
 * rotation is refused until every live gateway encrypts with the newest key.
 */
import { newestKey } from './keys.js';
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

/** The newest key of `ring` that every gateway in `others` holds; the newest when none does. */
export function writeKeyFor(ring: KeyRing, others: readonly PublishedRing[]): EncryptionKey {
  const shared = ring.keys.filter((key) => others.every((gateway) => gateway.keyIds.includes(key.id)));
  return shared.at(-1) ?? newestKey(ring);
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
