/**
 * The secrets store's admin commands, run beside serving gateways:
 * - `secrets rotate-keys`: re-encrypt every stored secret and bootstrap entry under the newest
 *   key of the keys file, so older keys can then be removed from it. It refuses (nothing
 *   rewritten) while a live gateway does not yet encrypt with that key, or when the file lacks
 *   a key rows still use;
 * - `secrets keys status`: rows per key id, and which live gateways hold which key ids; it
 *   fails when the keys file lacks a key rows still use, so a trimmed file can be checked
 *   before any gateway loads it, and when one key id names different keys in the keys file and
 *   live gateways' rings (compared by fingerprint, key-agreement.ts). rotate-keys refuses then too.
 */
import { resolve } from 'node:path';
import { requireSetting } from '../config/settings.js';
import { secretsDatabaseUrl, type SecretsSettings } from '../plugins/secrets/capability.js';
import { keysStillNeeded } from '../plugins/secrets/store/key-agreement.js';
import { loadKeyRing, openSecretStore, type KeyedSecretStore, type KeyStatus, type OpenOptions } from '../plugins/secrets/store/index.js';

type AdminSettings = SecretsSettings & { dataDir: string; wait?: OpenOptions['wait'] };

async function withStore<T>(settings: AdminSettings, work: (store: KeyedSecretStore) => Promise<T>): Promise<T> {
  const file = requireSetting(settings.secrets.keys, 'secrets.keys', '--secrets-keys / GATEWAY_SECRETS_KEYS, or --quickstart for the quick start\'s');
  const store = await openSecretStore(secretsDatabaseUrl(settings.secrets, () => resolve(settings.dataDir)), loadKeyRing(file), { timeoutMs: settings.secrets.databaseTimeoutMs, wait: settings.wait, existingOnly: true });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Returns how many rows were re-encrypted. Throws ConfigError on missing or bad settings, RotationRefused when it must not run. */
export function rotateKeys(settings: AdminSettings): Promise<number> {
  return withStore(settings, (store) => store.rotateKeys());
}

const quoted = (ids: readonly string[]) => ids.map((id) => `"${id}"`).join(', ');

export function formatKeyStatus(status: KeyStatus): string {
  const inFile = new Set(status.keyIds);
  const lines = [`keys file: ${quoted(status.keyIds)} (the last encrypts once every live gateway holds it)`, 'rows per key id:'];
  if (status.usage.length === 0) lines.push('  (no rows)');
  for (const { keyId, rows } of status.usage) lines.push(`  "${keyId}": ${rows}${inFile.has(keyId) ? '' : '   NOT IN THE KEYS FILE'}`);
  lines.push('live gateways:');
  if (status.gateways.length === 0) lines.push('  (none)');
  for (const g of status.gateways) {
    lines.push(`  ${g.gatewayId}: holds ${quoted(g.keyIds)}, encrypts with "${g.writeKeyId}", seen ${g.ageSec.toFixed(1)} s ago`);
  }
  return `${lines.join('\n')}\n`;
}

/** The status as printed, and why the keys file or the live gateways cannot serve (undefined when they can). */
export function keysStatus(settings: AdminSettings): Promise<{ text: string; problem: string | undefined }> {
  return withStore(settings, async (store) => {
    const status = await store.keyStatus();
    const lacking = keysStillNeeded(status.keyIds, status.usage, status.gateways);
    const problems = [
      ...(lacking.length > 0 ? [`the keys file lacks keys still in use: ${lacking.join('; ')}`] : []),
      ...(status.differing.length > 0 ? [`${status.differing.join('; ')}: a key id must name the same key in every keys file`] : []),
    ];
    return { text: formatKeyStatus(status), problem: problems.length > 0 ? problems.join('; ') : undefined };
  });
}
