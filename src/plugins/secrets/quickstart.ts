/**
 * What the `npm start` quick start makes so the secrets API works out of the box: the encryption
 * keys file, in the data directory, readable by the owner only, kept across runs. (The root
 * client it serves is made by src/cli/quickstart.ts, which also signs the proxy with it.)
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadOrGenerateKeyFile, type KeyRing } from './store/index.js';

/** The keys file's name in the data directory. */
export const QUICKSTART_KEYS_FILE = 'secrets-keys.json';

export function quickstartKeys(dataDir: string, log: Logger): { ring: KeyRing; file: string } {
  const file = join(dataDir, QUICKSTART_KEYS_FILE);
  const { ring, generated } = loadOrGenerateKeyFile(file);
  log.info({ file }, generated ? 'quick start: generated a secrets encryption key (keep this file; secrets cannot be read without it)' : 'quick start: using the secrets keys file');
  return { ring, file };
}
