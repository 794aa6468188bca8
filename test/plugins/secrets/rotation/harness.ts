/**
 * Gateways as `taskcluster-gateway --plugins secrets` builds them (server.ts, the real secrets
 * module: key ring follower, heartbeat, store), each on a loopback listener, with their log
 * lines captured; traffic that records every acknowledged write; and the admin commands.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Test } from 'tap';
import taskcluster from 'taskcluster-client';
import { loadConfig } from '../../../../src/config/load.js';
import { createLogger } from '../../../../src/log.js';
import { pluginModules } from '../../../../src/plugins/registry.js';
import type { EncryptionKey } from '../../../../src/plugins/secrets/store/index.js';
import { buildGateway, type Gateway } from '../../../../src/server.js';
import { clients, clientsFile } from '../gateway.js';
import { inProcessFlags } from '../../../helpers/in-process.js';

export interface RunningGateway {
  rootUrl: string;
  gateway: Gateway;
  /** Every log line, parsed. */
  logs(): Array<Record<string, unknown>>;
  logText(): string;
}

export function writeKeysFile(file: string, keys: readonly EncryptionKey[]): void {
  writeFileSync(file, JSON.stringify({ keys: keys.map((k) => ({ id: k.id, key: k.key.toString('base64') })) }));
}

/** Settings for the admin commands (rotate-keys, keys status). */
export function adminSettings(dataDir: string, database: string, keys: string) {
  return { dataDir, secrets: { database, keys, auth: 'local', authClients: '', databaseTimeoutMs: 5000, remoteAuthTimeoutMs: 1000, keysHeartbeatSec: 1, sweepIntervalSec: 0, cacheEntries: 10_000, cacheBytes: 64 << 20, cacheTtlSec: 300, listenDatabase: '' } };
}

export async function startGateway(t: Test, options: { dir: string; database: string; keysFile: string }): Promise<RunningGateway> {
  const clientsPath = join(options.dir, 'clients.json');
  writeFileSync(clientsPath, JSON.stringify(clientsFile));
  const lines: string[] = [];
  const log = createLogger('info', new Writable({ write(chunk, _e, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done(); } }));
  const loaded = loadConfig({
    modules: pluginModules,
    argv: [
      '--listeners', JSON.stringify([{ name: 'main', host: '127.0.0.1', port: 0, plugins: ['secrets'] }]),
      '--data-dir', options.dir, '--secrets-database', options.database, '--secrets-keys', options.keysFile,
      '--auth-clients', clientsPath, '--secrets-keys-heartbeat-sec', '1', '--secrets-sweep-interval-sec', '0', ...inProcessFlags([]),
    ],
  });
  const gateway = await buildGateway(loaded, { log });
  t.teardown(() => gateway.close());
  const urls = await gateway.listen();
  return {
    rootUrl: urls.main!,
    gateway,
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    logText: () => lines.join('\n'),
  };
}

/** Resolves once `check` returns true, polling; rejects after `attempts` tries. */
export async function eventually(what: string, check: () => Promise<boolean>, attempts = 100): Promise<void> {
  for (let i = 0; i < attempts; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for: ${what}`);
}

export interface Traffic {
  /** name → the value of its last acknowledged write. */
  acknowledged: Map<string, Record<string, unknown>>;
  /** Every failed request and every read that did not return the acknowledged value. */
  failures: string[];
  /** Writes acknowledged so far. */
  writes(): number;
  /** Resolves once at least `n` more writes have been acknowledged. */
  moreWrites(n: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Writers create names and overwrite some of their own; readers read names no writer touches
 * again and check the value. Round-robin over the gateways; no client retries, so every
 * failure the gateways answer is seen.
 */
export function startTraffic(gateways: readonly RunningGateway[], options = { writers: 4, readers: 2 }): Traffic {
  const secrets = gateways.map((g) => new taskcluster.Secrets({ rootUrl: g.rootUrl, credentials: clients.root, retries: 0 }));
  const acknowledged = new Map<string, Record<string, unknown>>();
  const frozen: string[] = [];
  const failures: string[] = [];
  const expires = taskcluster.fromNow('1 hour');
  let stopped = false;
  let writes = 0;
  let turn = 0;
  const next = () => secrets[(turn += 1) % secrets.length]!;
  const MAX_OPERATIONS = 20_000;

  const writer = async (w: number) => {
    const mine: string[] = [];
    for (let i = 0; !stopped && i < MAX_OPERATIONS; i += 1) {
      // every third write replaces one of this writer's updatable names
      const name = i % 3 === 2 && mine.length > 0 ? mine[i % mine.length]! : `w${w}/${i}`;
      const value = { w, i, at: Date.now() };
      try {
        await next().set(name, { secret: value, expires });
        acknowledged.set(name, value);
        writes += 1;
        if (name === `w${w}/${i}`) (i % 2 === 0 ? frozen : mine).push(name);
      } catch (err) {
        failures.push(`set ${name}: ${(err as Error).message}`);
      }
    }
  };
  const reader = async () => {
    for (let i = 0; !stopped && i < MAX_OPERATIONS; i += 1) {
      const name = frozen[Math.floor(Math.random() * frozen.length)];
      if (name === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      try {
        const { secret } = await next().get(name);
        if (JSON.stringify(secret) !== JSON.stringify(acknowledged.get(name))) failures.push(`get ${name}: ${JSON.stringify(secret)}`);
      } catch (err) {
        failures.push(`get ${name}: ${(err as Error).message}`);
      }
    }
  };
  const running = Promise.all([
    ...Array.from({ length: options.writers }, (_, w) => writer(w)),
    ...Array.from({ length: options.readers }, () => reader()),
  ]);
  return {
    acknowledged,
    failures,
    writes: () => writes,
    moreWrites: (n) => {
      const target = writes + n;
      return eventually(`${n} more acknowledged writes`, async () => writes >= target, 300);
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
}
