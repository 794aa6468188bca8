#!/usr/bin/env node
/**
 * `taskcluster-gateway`: the general, configuration-driven front door.
 *   taskcluster-gateway [flags]             start with config/gateway.yml, --config files, env, flags
 *   taskcluster-gateway --quickstart        the self-contained `npm start` setup
 *   taskcluster-gateway --print-config      the effective configuration, secrets masked
 *   taskcluster-gateway secrets rotate-keys [flags]   re-encrypt stored secrets under the newest key
 *   taskcluster-gateway secrets keys status [flags]   rows per key id, and the live gateways' key ids
 */
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/settings.js';
import { versionInfo } from '../routes/dockerflow.js';
import { fail, launch } from './launch.js';
import { helpText } from './help.js';
import { quickstartOverrides } from './quickstart.js';
import { keysStatus, rotateKeys } from './secrets-admin.js';
import { pluginModules as modules } from '../plugins/registry.js';
import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';

const PROGRAM = 'taskcluster-gateway';
const OWN_FLAGS: Array<[string, string]> = [
  ['--quickstart', 'Self-contained setup: secrets API with local auth and SQLite, proxy in front of it (npm start)'],
  ['--print-config', 'Print the effective configuration (sensitive values masked) and exit'],
  ['--version', 'Print the version and exit'],
  ['secrets rotate-keys [flags]', 'Re-encrypt every stored secret under the newest key of --secrets-keys, then exit; refused while a live gateway does not encrypt with it yet'],
  ['secrets keys status [flags]', 'Print rows per key id and the key ids each live gateway holds; exit 1 when --secrets-keys lacks a key still in use, or a key id names different keys'],
  ['-h, --help', 'Print this help and exit'],
];

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText(PROGRAM, modules, OWN_FLAGS));
    return;
  }
  if (argv.includes('--version')) {
    process.stdout.write(`${PROGRAM} ${versionInfo.version}\n`);
    return;
  }
  if (argv[0] === 'secrets' && argv[1] === 'rotate-keys') {
    const { config, core } = loadConfig({ argv: argv.slice(2), modules });
    const rows = await rotateKeys({ secrets: config.get('secrets'), dataDir: core.dataDir });
    process.stdout.write(`re-encrypted ${rows} rows under the newest key\n`);
    return;
  }
  if (argv[0] === 'secrets' && argv[1] === 'keys' && argv[2] === 'status') {
    const { config, core } = loadConfig({ argv: argv.slice(3), modules });
    const { text, problem } = await keysStatus({ secrets: config.get('secrets'), dataDir: core.dataDir });
    process.stdout.write(text);
    if (problem) fail(PROGRAM, problem, 1);
    return;
  }
  const quickstart = argv.includes('--quickstart');
  const printConfig = argv.includes('--print-config');
  const flags = argv.filter((a) => a !== '--quickstart' && a !== '--print-config');
  let overrides: Record<string, unknown> = {};
  let notes: string[] = [];
  if (quickstart) {
    const { core } = loadConfig({ argv: flags, modules });
    const dataDir = resolve(core.dataDir);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    ({ overrides, notes } = quickstartOverrides(core, dataDir, modules));
  }
  if (printConfig) {
    process.stdout.write(loadConfig({ argv: flags, overrides, modules }).config.toString() + '\n');
    return;
  }
  await launch(overrides, {
    program: PROGRAM,
    argv: flags,
    modules,
    quickstart,
    onListening: () => notes.forEach((line) => process.stdout.write(line + '\n')),
  });
}

// configuration errors exit 2 with their one line; anything else 1
main(process.argv.slice(2)).catch((err) => fail(PROGRAM, (err as Error).message, err instanceof ConfigError ? 2 : 1));
