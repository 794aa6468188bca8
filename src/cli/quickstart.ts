/**
 * `npm start`: a self-contained gateway needing no Taskcluster deployment. The secrets API
 * (local auth, SQLite) listens on 127.0.0.1:<port+1> and is the rootUrl of a proxy listening on
 * 127.0.0.1:<port>, which signs with a root client generated into the data directory — so
 * `curl localhost:8080/secrets/v1/secret/<name>` works at once.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAbsolute, join, relative } from 'node:path';
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


/** A path as the user would type it: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? `./${rel}` : path;
}

/**
 * The root client as the quick start would use it, making nothing (--print-config): its token is
 * the file's when there is one, else '' (a sensitive setting, printed masked either way).
 */
export function plannedRootClient(dataDir: string): { file: string; clientId: string; accessToken: string; created: boolean } {
  const file = join(dataDir, 'clients.json');
  let accessToken = '';
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as ClientsFile;
    accessToken = parsed.clients.find((c) => c.clientId === QUICKSTART_CLIENT_ID)?.accessToken ?? '';
  } catch {
    // no file yet, or one the start would replace: a start makes the token
  }
  return { file, clientId: QUICKSTART_CLIENT_ID, accessToken, created: false };
}

/** The quick start's log level unless the configuration asks for another: its logs only warn. */
export const QUICKSTART_DEFAULTS = { logLevel: 'warn' } as const;

/**
 * Settings the quick start puts on top of the configuration, and the one line to print once
 * listening; `root` is the client it signs with (made by ensureRootClient for a start).
 */
export function quickstartOverrides(settings: CoreSettings, modules: readonly PluginModule<any>[], root: ReturnType<typeof ensureRootClient>, keysFile: string): { overrides: Record<string, unknown>; notes: string[] } {
  const available = (names: string[]) => names.filter((n) => modules.some((m) => m.name === n));
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
  if (modules.some((m) => m.name === 'secrets')) Object.assign(overrides, { 'secrets.authClients': root.file, 'secrets.keys': keysFile });
  // one line: where it listens, where the token and the keys are kept (never the token), how to stop
  const notes = [
    `taskcluster-gateway quick start: proxy on http://127.0.0.1:${settings.port} signing as client "${root.clientId}" (scopes: *) for the secrets API on ${rootUrl}, `
    + `metrics on http://127.0.0.1:${overrides.adminPort}/metrics; the root client's token is in ${shown(root.file)}${root.created ? ' (just generated)' : ''}, `
    + `the secrets encryption keys in ${shown(keysFile)} (back it up); stop with Ctrl-C`,
  ];
  return { overrides, notes };
}
