/**
 * A whole gateway serving the secrets plugin as a deployment configures it (settings, the
 * module's create, Dockerflow routes with the plugins' heartbeat checks) on 127.0.0.1:0, closed
 * when the test ends.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import { secretsModule } from '../../../src/plugins/secrets/config.js';
import { buildGateway } from '../../../src/server.js';
import { generateKeyFile } from '../../../src/plugins/secrets/store/index.js';
import { clientsFile } from './gateway.js';

/** `dir` receives the keys and clients files; `settings` are extra command-line flags. */
export async function configuredGateway(t: Test, dir: string, database: string, settings: string[] = []): Promise<string> {
  generateKeyFile(join(dir, 'keys.json'));
  writeFileSync(join(dir, 'clients.json'), JSON.stringify(clientsFile));
  const argv = ['--plugins', 'secrets', '--port', '0', '--secrets-database', database,
    '--secrets-keys', join(dir, 'keys.json'), '--auth-clients', join(dir, 'clients.json'), ...settings];
  const gateway = await buildGateway(loadConfig({ argv, env: {}, modules: [secretsModule] }), { log: createLogger('silent') });
  t.teardown(() => gateway.close());
  return (await gateway.listen()).main!;
}

/** /__heartbeat__'s status and body; a hung heartbeat fails the test instead of holding it. */
export async function heartbeat(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/__heartbeat__`, { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: await res.json() };
}
