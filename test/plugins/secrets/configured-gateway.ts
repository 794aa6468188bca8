/**
 * A whole gateway serving the secrets plugin as a deployment configures it (settings, the
 * module's create, Dockerflow routes with the plugins' heartbeat checks) on 127.0.0.1:0, closed
 * when the test ends.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Test } from 'tap';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import { secretsModule } from '../../../src/plugins/secrets/capability.js';
import { buildGateway, type Gateway } from '../../../src/server.js';
import { loadOrGenerateKeyFile } from '../../../src/plugins/secrets/store/index.js';
import { clientsFile } from './gateway.js';
import { inProcessFlags } from '../../helpers/in-process.js';

/** `dir` receives the keys and clients files; `settings` are extra command-line flags. */
export async function configuredGateway(t: Test, dir: string, database: string, settings: string[] = []): Promise<string> {
  return (await loggedGateway(t, dir, database, settings)).url;
}

export interface LoggedGateway {
  url: string;
  gateway: Gateway;
  /** Every log line at info and above, parsed. */
  logs: Array<Record<string, any>>;
}

/** As configuredGateway, logging at info into `logs`; replicas given one `dir` share its keys and clients. */
export async function loggedGateway(t: Test, dir: string, database: string, settings: string[] = []): Promise<LoggedGateway> {
  loadOrGenerateKeyFile(join(dir, 'keys.json'));
  writeFileSync(join(dir, 'clients.json'), JSON.stringify(clientsFile));
  const argv = ['--plugins', 'secrets', '--port', '0', '--secrets-database', database,
    '--secrets-keys', join(dir, 'keys.json'), '--auth-clients', join(dir, 'clients.json'), ...inProcessFlags(settings), ...settings];
  const logs: Array<Record<string, any>> = [];
  const log = createLogger('info', new Writable({ write(chunk, _e, done) { logs.push(...String(chunk).split('\n').filter(Boolean).map((line) => JSON.parse(line))); done(); } }));
  const gateway = await buildGateway(loadConfig({ argv, env: {}, modules: [secretsModule] }), { log });
  t.teardown(() => gateway.close());
  return { url: (await gateway.listen()).main!, gateway, logs };
}

/** /__heartbeat__'s status and body; a hung heartbeat fails the test instead of holding it. */
export async function heartbeat(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/__heartbeat__`, { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: await res.json() };
}
