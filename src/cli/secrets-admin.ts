/**
 * `taskcluster-gateway secrets rotate-keys`: re-encrypt every stored secret and bootstrap entry
 * under the newest key of the keys file, so older keys can then be removed from it. Safe while
 * gateways run: they decrypt with any key in the file and encrypt new rows with the newest.
 */
import { resolve } from 'node:path';
import { requireSetting } from '../config/settings.js';
import { secretsDatabaseUrl, type SecretsSettings } from '../plugins/secrets/config.js';
import { loadKeyRing, openSecretStore } from '../plugins/secrets/store/index.js';

/** Returns how many rows were re-encrypted. Throws ConfigError on missing or bad settings. */
export async function rotateKeys(settings: SecretsSettings & { dataDir: string }): Promise<number> {
  const keys = loadKeyRing(requireSetting(settings.secrets.keys, 'secrets.keys', '--secrets-keys / GATEWAY_SECRETS_KEYS'));
  const store = await openSecretStore(secretsDatabaseUrl(settings.secrets, () => resolve(settings.dataDir)), keys, { timeoutMs: settings.secrets.databaseTimeoutMs });
  try {
    return await store.rotateKeys();
  } finally {
    await store.close();
  }
}
