/**
 * `taskcluster-gateway`: the general, configuration-driven front door: every setting of every
 * plugin is a flag.
 *   taskcluster-gateway [flags]                       start with config/gateway.yml, --config files, env, flags
 *   taskcluster-gateway --quickstart                  the self-contained `npm start` setup
 *   taskcluster-gateway secrets rotate-keys [flags]   re-encrypt stored secrets under the newest key
 *   taskcluster-gateway secrets keys status [flags]   rows per key id, and the live gateways' key ids
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pluginModules } from '../../plugins/registry.js';
import { versionInfo } from '../../routes/dockerflow.js';
import type { Program } from '../program.js';
import { quickstartKeysFile } from '../../plugins/secrets/quickstart.js';
import { ensureRootClient, plannedRootClient, QUICKSTART_DEFAULTS, quickstartOverrides } from '../quickstart.js';

/** The admin commands, as the words that name them. */
export const COMMANDS = { 'secrets rotate-keys': 'rotate-keys', 'secrets keys status': 'keys-status' } as const;

/** The admin command the words name, word for word (`"secrets rotate-keys"` as one word is none), or undefined. */
export function commandOf(words: readonly string[]): (typeof COMMANDS)[keyof typeof COMMANDS] | undefined {
  const named = Object.entries(COMMANDS).find(([name]) => name.split(' ').length === words.length && name.split(' ').every((word, i) => word === words[i]));
  return named?.[1];
}

export const gatewayProgram: Program = {
  name: 'taskcluster-gateway',
  summary: 'The credential gateway for Taskcluster CI fleets: the plugins named by --plugins or --listeners, configured by the flags below.\n'
    + 'Commands:\n'
    + '  secrets rotate-keys   re-encrypt every stored secret under the newest key of --secrets-keys, then exit; refused while a live gateway does not encrypt with it yet\n'
    + '  secrets keys status   print rows per key id and the key ids each live gateway holds; exit 1 when --secrets-keys lacks a key still in use, or a key id names different keys\n'
    + '  (with --quickstart, both read the quick start\'s keys file and database)',
  usage: ['[flags]', '--quickstart [flags]', 'secrets rotate-keys [flags]', 'secrets keys status [flags]'],
  modules: pluginModules,
  names: {
    plugins: {
      flag: 'plugins',
      check: (value) => {
        const unknown = value.split(/[\s,]+/).filter((name) => name !== '' && !pluginModules.some((m) => m.name === name));
        return unknown.length > 0 ? `plugin names among ${pluginModules.map((m) => m.name).join(', ')}` : undefined;
      },
    },
  },
  own: [{ flag: 'quickstart', type: 'boolean', doc: 'Self-contained setup: secrets API with local auth and SQLite, proxy in front of it (npm start)' }],
  // --quickstart on top of the configuration: for a start (its data directory and root client
  // made) and for --print-config (nothing made), so both show the one configuration
  preset: (parsed, core, making, configured) => {
    if (parsed.own.quickstart !== true) return undefined;
    const dataDir = resolve(core.dataDir);
    if (making) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const root = making ? ensureRootClient(dataDir) : plannedRootClient(dataDir);
    const keys = configured('secrets.keys') || quickstartKeysFile(dataDir, making).file;
    return { ...quickstartOverrides(core, pluginModules, root, keys as string), defaults: QUICKSTART_DEFAULTS };
  },
  positionals: {
    name: 'command',
    min: 0,
    max: 3,
    check: (words) => (words.length === 0 || commandOf(words) !== undefined ? undefined : `${JSON.stringify(words.join(' '))}: unknown command; commands: ${Object.keys(COMMANDS).join(', ')}`),
  },
  version: () => `taskcluster-gateway ${versionInfo.version}`,
};
