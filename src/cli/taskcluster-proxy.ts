#!/usr/bin/env node
/**
 * `taskcluster-proxy`: see src/cli/programs/taskcluster-proxy.ts for its flags. Runs on import;
 * in the native executable's build (scripts/build-sea.mjs), which runs this module's imports once
 * to keep the heap in a V8 start-up snapshot, it runs when the executable starts instead: with
 * that run's command line and environment, read by `main` and nothing before it.
 */
import { startupSnapshot } from 'node:v8';
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/settings.js';
import { fetchTaskScopes } from '../core/task.js';
import { createLogger, redactUrl } from '../log.js';
import { versionInfo } from '../routes/dockerflow.js';
import { launch } from './launch.js';
import { warmUp } from './snapshot-warm-up.js';
import { launchOptions, overridesOf, runProgram } from './program.js';
import { authorizedScopesFor, REQUIRED, taskclusterProxyProgram as program, taskIdOf } from './programs/taskcluster-proxy.js';

const main = () => void runProgram(program, process.argv.slice(2), async (parsed) => {
  if (parsed.own['short-version']) {
    process.stdout.write(`${versionInfo.version}\n`);
    return;
  }
  const overrides = overridesOf(program, parsed);
  const { config } = loadConfig({ ...launchOptions(program), overrides });
  for (const [key, message] of REQUIRED) if (!config.get(key)) throw new ConfigError(message);
  const taskId = taskIdOf(parsed);
  const rootUrl = config.get('taskcluster.rootUrl') as string;
  const wait = { boundMs: config.get('startupWaitMs') as number, log: createLogger(config.get('logLevel') as string) };
  const taskScopes = taskId === undefined ? undefined : await fetchTaskScopes(rootUrl, taskId, wait);
  const authorizedScopes = authorizedScopesFor(parsed.positionals, taskId, taskScopes);
  await launch({ ...overrides, 'taskcluster.authorizedScopes': authorizedScopes }, {
    ...launchOptions(program),
    onListening: (urls, gateway) => {
      gateway.services.log.info(
        { version: program.version(), rootUrl: redactUrl(rootUrl), clientId: config.get('taskcluster.clientId'), temporary: config.get('taskcluster.certificate') !== '', authorizedScopes, listeners: urls },
        authorizedScopes ? 'proxy with authorized scopes' : 'proxy has the full scopes of its credentials: no scope reduction applied',
      );
    },
  });
});

if (startupSnapshot.isBuildingSnapshot()) {
  startupSnapshot.setDeserializeMainFunction(main);
  // the start's path compiled into the snapshot; a failure fails the build
  warmUp(program).catch((err: unknown) => {
    process.stderr.write(`taskcluster-proxy: the snapshot's warm-up failed: ${(err as Error).stack}\n`);
    process.exit(1);
  });
} else main();
