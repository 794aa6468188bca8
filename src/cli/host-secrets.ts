#!/usr/bin/env node
// `host-secrets`: see src/cli/programs/host-secrets.ts for its flags.
import { launch } from './launch.js';
import { launchOptions, overridesOf, runProgram } from './program.js';
import { hostSecretsProgram as program } from './programs/host-secrets.js';

void runProgram(program, process.argv.slice(2), async (parsed) => {
  await launch(overridesOf(program, parsed), launchOptions(program));
});
