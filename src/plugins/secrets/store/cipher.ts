/**
 * AES-256-GCM for one stored value: JSON-serialised, a random 12-byte IV per write, the key id
 * kept beside the ciphertext, and the row's identity as additional authenticated data, so a
 * ciphertext copied into another row (another name, another token) fails to decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey, KeyRing } from './types.js';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What a row stores: the key id and iv ‖ tag ‖ ciphertext. */
export interface Sealed {
  keyId: string;
  value: Buffer;
}

/** A stored value cannot be decrypted; the message names the row, never its content. */
export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptionError';
  }
}

/** Encrypts with `key`; which key that is, the caller decides (see key-agreement.ts). */
export function seal({ id, key }: EncryptionKey, rowId: string, value: unknown): Sealed {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(rowId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return { keyId: id, value: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]) };
}

/** `label` names the row in errors (e.g. `secret "a/b"`). */
export function unseal(ring: KeyRing, rowId: string, sealed: Sealed, label: string): unknown {
  const entry = ring.keys.find((k) => k.id === sealed.keyId);
  if (!entry) {
    throw new DecryptionError(`${label} is encrypted with key id "${sealed.keyId}", which is not in the secrets keys file`);
  }
  try {
    const iv = sealed.value.subarray(0, IV_BYTES);
    const tag = sealed.value.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv(ALGORITHM, entry.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(rowId, 'utf8'));
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(sealed.value.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    return JSON.parse(plain.toString('utf8'));
  } catch {
    throw new DecryptionError(`${label} fails authentication under key id "${sealed.keyId}" (wrong key or altered row)`);
  }
}
