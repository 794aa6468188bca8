/**
 * The encryption keys file: `{"keys": [{"id", "key": <base64 of 32 bytes>}]}`. All of them
 * decrypt; the last one encrypts once every gateway holds it (key-agreement.ts), so a new key is
 * appended, rows re-encrypted (rotateKeys), and only then is the old key removed. Errors name the
 * file and the entry, never key material.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../../../config/settings.js';
import type { EncryptionKey, KeyRing } from './types.js';

const KEY_BYTES = 32;
const STRICT_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The key new rows are encrypted with. */
export function newestKey(ring: KeyRing): EncryptionKey {
  const key = ring.keys.at(-1);
  if (!key) throw new ConfigError('the secrets key ring is empty');
  return key;
}

/** What a fingerprint is computed over: fixed, so every gateway derives the same one from the same key. */
const FINGERPRINT_LABEL = 'taskcluster-gateway secrets key fingerprint v1';

/**
 * What gateways publish beside a key id so that two keys files giving one id different bytes are
 * caught (key-agreement.ts). An HMAC of a fixed label under the key, not a hash of the key bytes:
 * the key is only ever used as a key, and this value can never equal anything else derived from
 * it. One-way, and the key is 32 random bytes, so it reveals nothing usable; truncated to 128
 * bits, far more than two different keys need to differ by.
 */
export function keyFingerprint(key: EncryptionKey): string {
  return createHmac('sha256', key.key).update(FINGERPRINT_LABEL).digest('hex').slice(0, 32);
}

/** Checks the parsed content of a keys file; `source` names it in errors. */
export function keyRingFrom(content: unknown, source: string): KeyRing {
  const list = (content as { keys?: unknown } | null)?.keys;
  if (typeof content !== 'object' || content === null || !Array.isArray(list)) {
    throw new ConfigError(`${source}: expected {"keys": [{"id": ..., "key": <base64 of 32 bytes>}]}`);
  }
  if (list.length === 0) throw new ConfigError(`${source}: "keys" is empty; at least one key is needed`);
  const seen = new Set<string>();
  const keys = list.map((entry: unknown, index): EncryptionKey => {
    const { id, key } = (entry ?? {}) as { id?: unknown; key?: unknown };
    if (typeof id !== 'string' || id === '') throw new ConfigError(`${source}: keys[${index}] needs a non-empty string "id"`);
    if (seen.has(id)) throw new ConfigError(`${source}: key id "${id}" appears twice`);
    seen.add(id);
    const bytes = typeof key === 'string' && STRICT_BASE64.test(key) ? Buffer.from(key, 'base64') : undefined;
    if (!bytes || bytes.length !== KEY_BYTES) {
      throw new ConfigError(`${source}: key "${id}" must be the base64 encoding of exactly ${KEY_BYTES} bytes`);
    }
    return { id, key: bytes };
  });
  return { keys };
}

/** The keys file's text; kept apart from parsing so a watcher can tell whether it changed. */
export function readKeyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read secrets keys file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export function keyRingFromText(text: string, file: string): KeyRing {
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch {
    // The parser's message quotes the file's text, which may be key material.
    throw new ConfigError(`secrets keys file ${file} is not valid JSON`);
  }
  return keyRingFrom(content, `secrets keys file ${file}`);
}

export function loadKeyRing(file: string): KeyRing {
  return keyRingFromText(readKeyFile(file), file);
}

/** A fresh random key; the id says when it was made, so rotations read in order. */
export function generateKey(): EncryptionKey {
  const id = `${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
  return { id, key: randomBytes(KEY_BYTES) };
}

/**
 * Quick start: writes a keys file with one new key, readable by the owner only. Refuses to
 * overwrite an existing file: that would make every stored secret unreadable.
 */
export function generateKeyFile(file: string): KeyRing {
  const key = generateKey();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const content = { keys: [{ id: key.id, key: key.key.toString('base64') }] };
  try {
    writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ConfigError(`secrets keys file ${file} already exists; not overwriting it`);
    throw new ConfigError(`cannot write secrets keys file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return { keys: [key] };
}

/** Quick start on every run: the keys file made on the first one, or a new one (`generated`). */
export function loadOrGenerateKeyFile(file: string): { ring: KeyRing; generated: boolean } {
  if (existsSync(file)) return { ring: loadKeyRing(file), generated: false };
  return { ring: generateKeyFile(file), generated: true };
}
