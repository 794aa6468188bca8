#!/usr/bin/env node
// `relengapi-proxy`: see src/cli/programs/relengapi-proxy.ts for its flags.
import { launch } from './launch.js';
import { launchOptions, overridesOf, runProgram } from './program.js';
import { relengapiProxyProgram as program } from './programs/relengapi-proxy.js';

void runProgram(program, process.argv.slice(2), async (parsed) => {
  await launch(overridesOf(program, parsed), launchOptions(program));
});
