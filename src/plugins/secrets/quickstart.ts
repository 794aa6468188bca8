/**
 * What the `npm start` quick start makes so the secrets API works out of the box, in the data
 * directory, readable by the owner only, kept across runs: the encryption keys file and a
 * clients file with one `root` client holding `*`. The access token stays in the file: logs name
 * the clientId and the file, never the token.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from '../../config/settings.js';
import { loadOrGenerateKeyFile, type KeyRing } from './store/index.js';

export const QUICKSTART_CLIENT_ID = 'root';

export function quickstartKeys(dataDir: string, log: Logger): KeyRing {
  const file = join(dataDir, 'secrets-keys.json');
  const { ring, generated } = loadOrGenerateKeyFile(file);
  log.info({ file }, generated ? 'quick start: generated a secrets encryption key (keep this file; secrets cannot be read without it)' : 'quick start: using the secrets keys file');
  return ring;
}

export function quickstartClients(dataDir: string, log: Logger): string {
  const file = join(dataDir, 'auth-clients.json');
  if (existsSync(file)) {
    log.info({ file }, 'quick start: using the auth clients file from an earlier run');
    return file;
  }
  // 33 random bytes are 44 url-safe base64 characters, the length of Taskcluster access tokens
  const accessToken = randomBytes(33).toString('base64url');
  const content = { clients: [{ clientId: QUICKSTART_CLIENT_ID, accessToken, scopes: ['*'] }], roles: [{ roleId: 'anonymous', scopes: [] }] };
  try {
    writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    throw new ConfigError(`cannot write auth clients file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  log.info({ clientId: QUICKSTART_CLIENT_ID, file }, `quick start: generated client "${QUICKSTART_CLIENT_ID}" with scope *; its accessToken is in ${file}`);
  return file;
}
