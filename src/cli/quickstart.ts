/**
 * `npm start`: a self-contained gateway needing no Taskcluster deployment. The secrets API
 * (local auth, SQLite) listens on 127.0.0.1:<port+1> and is the rootUrl of a proxy listening on
 * 127.0.0.1:<port>, which signs with a root client generated into the data directory — so
 * `curl localhost:8080/secrets/v1/secret/<name>` works at once.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { CoreSettings, ListenerSpec } from '../config/schema.js';
import type { PluginModule } from '../fastify/capability.js';

export const QUICKSTART_CLIENT_ID = 'root';

interface ClientsFile {
  clients: Array<{ clientId: string; accessToken: string; scopes: string[] }>;
  roles: Array<{ roleId: string; scopes: string[] }>;
}

/** The generated root client, made once: its token stays in the file (mode 0600), never in logs. */
export function ensureRootClient(dataDir: string): { file: string; clientId: string; accessToken: string; created: boolean } {
  const file = join(dataDir, 'clients.json');
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as ClientsFile;
    const root = parsed.clients.find((c) => c.clientId === QUICKSTART_CLIENT_ID);
    if (root) return { file, clientId: root.clientId, accessToken: root.accessToken, created: false };
  }
  const accessToken = randomBytes(33).toString('base64url');
  const content: ClientsFile = {
    clients: [{ clientId: QUICKSTART_CLIENT_ID, accessToken, scopes: ['*'] }],
    roles: [{ roleId: 'anonymous', scopes: [] }],
  };
  writeFileSync(file, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  return { file, clientId: QUICKSTART_CLIENT_ID, accessToken, created: true };
}


/** Settings the quick start puts on top of the configuration, and lines to print once. */
export function quickstartOverrides(settings: CoreSettings, dataDir: string, modules: readonly PluginModule<any>[]): { overrides: Record<string, unknown>; notes: string[] } {
  const available = (names: string[]) => names.filter((n) => modules.some((m) => m.name === n));
  const root = ensureRootClient(dataDir);
  const apiPort = settings.port + 1;
  const rootUrl = `http://127.0.0.1:${apiPort}`;
  const listeners: ListenerSpec[] = [
    { name: 'api', host: '127.0.0.1', port: apiPort, plugins: available(['secrets']) },
    { name: 'proxy', host: '127.0.0.1', port: settings.port, plugins: available(['proxy', 'bewit', 'credentials']) },
  ];
  const overrides: Record<string, unknown> = {
    listeners,
    'taskcluster.rootUrl': rootUrl,
    'taskcluster.clientId': root.clientId,
    'taskcluster.accessToken': root.accessToken,
    'taskcluster.certificate': '',
    adminPort: settings.adminPort || settings.port + 2,
  };
  if (modules.some((m) => m.name === 'secrets')) overrides['secrets.authClients'] = root.file;
  const notes = [
    `quick start: root client "${root.clientId}" (scopes: *); its access token is kept in ${root.file}${root.created ? ' (just generated)' : ''}`,
    `quick start: secrets API (rootUrl) at ${rootUrl}; proxy at http://127.0.0.1:${settings.port}; metrics at http://127.0.0.1:${overrides.adminPort}/metrics`,
  ];
  return { overrides, notes };
}
