/**
 * Another process changing one secret (as a second gateway or an admin tool on the same
 * database would), for the read cache's cross-process tests. argv[2]: JSON
 * {url, options, keysFile, name, secret?, expires?}: puts the secret when given, else removes it.
 */
import { loadKeyRing, openSecretStore } from '../../../../src/plugins/secrets/store/index.js';

const { url, options, keysFile, name, secret, expires } = JSON.parse(process.argv[2]!) as {
  url: string; options: Record<string, unknown>; keysFile: string; name: string; secret?: Record<string, unknown>; expires?: string;
};
const store = await openSecretStore(url, loadKeyRing(keysFile), options);
try {
  if (secret) await store.put(name, secret, new Date(expires!), 'writer-child');
  else await store.remove(name, 'writer-child');
} finally {
  await store.close();
}
