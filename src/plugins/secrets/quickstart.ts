/**
 * What the `npm start` quick start makes so the secrets API works out of the box: the encryption
 * keys file, in the data directory, readable by the owner only, kept across runs. (The root
 * client it serves is made by src/cli/quickstart.ts, which also signs the proxy with it.)
 */
import { join } from 'node:path';
import { loadOrGenerateKeyFile } from './store/index.js';

/** The keys file's name in the data directory. */
export const QUICKSTART_KEYS_FILE = 'secrets-keys.json';

/**
 * The quick start's keys file, `<dataDir>/secrets-keys.json`: made (mode 0600) when `making` and
 * missing, so a start, --print-config and the admin commands all name the same file.
 */
export function quickstartKeysFile(dataDir: string, making: boolean): { file: string; generated: boolean } {
  const file = join(dataDir, QUICKSTART_KEYS_FILE);
  return { file, generated: making && loadOrGenerateKeyFile(file).generated };
}
