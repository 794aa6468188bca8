#!/usr/bin/env node
// `taskcluster-gateway`: see src/cli/programs/gateway.ts for its flags and commands.
import pino from 'pino';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { fail, launch } from './launch.js';
import { launchOptions, presetOf, runProgram } from './program.js';
import { commandOf, gatewayProgram as program } from './programs/gateway.js';
import { keysStatus, rotateKeys } from './secrets-admin.js';


void runProgram(program, process.argv.slice(2), async (parsed) => {
  const options = launchOptions(program);
  const admin = commandOf(parsed.positionals);
  if (admin !== undefined) {
    // with --quickstart, the quick start's keys file and database (nothing made)
    const { overrides } = presetOf(program, parsed, false);
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
  // --quickstart's listeners, root client and log level, as --print-config shows them too
  const { overrides: started, defaults, notes } = presetOf(program, parsed, true);
  await launch(started, { ...options, defaults, quickstart: parsed.own.quickstart === true, onListening: () => notes.forEach((line) => process.stdout.write(line + '\n')) });
});
