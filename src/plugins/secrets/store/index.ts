export type { AuditAction, AuditEntry, EncryptionKey, GatewayIdentity, KeyedSecretStore, KeyRing, KeyStatus, OpenOptions, Page, PageOptions, SecretRecord, SecretStore } from './types.js';
export { checkStoreSettings, openSecretStore } from './open.js';
export { DATABASE_TIMEOUT_MS } from './types.js';
export { READ_CACHE_DEFAULTS, type ReadCacheOptions, type ReadCacheStats } from './read-cache.js';
export { generateKey, generateKeyFile, keyRingFrom, keyRingFromText, loadKeyRing, loadOrGenerateKeyFile, newestKey, readKeyFile } from './keys.js';
export { DecryptionError } from './cipher.js';
export { RotationRefused } from './key-agreement.js';
export type { KeyUsage, PublishedRing } from './rows.js';
