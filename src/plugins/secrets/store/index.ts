export type { AuditAction, AuditEntry, EncryptionKey, KeyRing, OpenOptions, Page, PageOptions, SecretRecord, SecretStore } from './types.js';
export { openSecretStore } from './open.js';
export { DATABASE_TIMEOUT_MS } from './types.js';
export { generateKey, generateKeyFile, keyRingFrom, loadKeyRing, loadOrGenerateKeyFile, newestKey } from './keys.js';
export { DecryptionError } from './cipher.js';
