#!/usr/bin/env node
// `taskcluster-gateway`: see src/cli/programs/gateway.ts for its flags and commands.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { fail, launch } from './launch.js';
import { launchOptions, overridesOf, runProgram } from './program.js';
import { commandOf, gatewayProgram as program } from './programs/gateway.js';
import { quickstartOverrides } from './quickstart.js';
import { keysStatus, rotateKeys } from './secrets-admin.js';


void runProgram(program, process.argv.slice(2), async (parsed) => {
  const options = launchOptions(program);
  const overrides = overridesOf(program, parsed);
  const admin = commandOf(parsed.positionals);
  if (admin !== undefined) {
    const { config, core } = loadConfig({ ...options, overrides });
    // a database that is not there at once is waited for, saying so on stderr (stdout is the answer)
    const wait = { boundMs: core.startupWaitMs, log: createLogger(core.logLevel, pino.destination({ dest: 2, sync: true })) };
    const settings = { secrets: config.get('secrets'), dataDir: core.dataDir, wait };
    if (admin === 'rotate-keys') {
      process.stdout.write(`re-encrypted ${await rotateKeys(settings)} rows under the newest key\n`);
    } else {
      const { text, problem } = await keysStatus(settings);
      process.stdout.write(text);
      if (problem) fail(program.name, problem, 1);
    }
    return;
  }
  const quickstart = parsed.own.quickstart === true;
  let notes: string[] = [];
  if (quickstart) {
    const { core } = loadConfig({ ...options, overrides });
    const dataDir = resolve(core.dataDir);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const preset = quickstartOverrides(core, dataDir, program.modules);
    Object.assign(overrides, preset.overrides);
    notes = preset.notes;
  }
  // the quick start says where things are in one line; its logs only warn unless asked for more
  const defaults = quickstart ? { logLevel: 'warn', ...options.defaults } : options.defaults;
  await launch(overrides, { ...options, defaults, quickstart, onListening: () => notes.forEach((line) => process.stdout.write(line + '\n')) });
});
