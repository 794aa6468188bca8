#!/usr/bin/env node
/**
 * `taskcluster-proxy`: drop-in for the Go taskcluster-proxy, with its flags and semantics (as
 * generic-worker and docker-worker launch it): the gateway with the proxy, /bewit and
 * /credentials on one listener.
 */
import { versionInfo } from '../routes/dockerflow.js';
import { authorizedScopesFor, parseProxyArgs, PROXY_USAGE, proxyOverrides, UsageError, versionLine } from '../plugins/proxy/preset.js';
import { fetchTaskScopes } from '../plugins/proxy/task-scopes.js';
import { fail, launch } from './launch.js';
import { proxyModule } from '../plugins/proxy/capability.js';
import { bewitModule } from '../plugins/bewit/capability.js';
import { credentialsModule } from '../plugins/credentials/capability.js';

const PROGRAM = 'taskcluster-proxy';

async function main(argv: string[]): Promise<void> {
  let command;
  try {
    command = parseProxyArgs(argv, process.env);
  } catch (err) {
    if (err instanceof UsageError) fail(PROGRAM, `${err.message}\n(see ${PROGRAM} --help)`, 2);
    throw err;
  }
  const revision = versionInfo.commit === 'unknown' ? undefined : versionInfo.commit;
  if (command.action !== 'run') {
    const text = { help: PROXY_USAGE, version: `${versionLine(versionInfo.version, revision)}\n`, 'short-version': `${versionInfo.version}\n` };
    process.stdout.write(text[command.action]);
    return;
  }

  const { run } = command;
  let taskScopes: string[] | undefined;
  if (run.taskId !== undefined) {
    try {
      taskScopes = await fetchTaskScopes(run.rootUrl, run.taskId);
    } catch (err) {
      fail(PROGRAM, (err as Error).message, 1);
    }
  }
  const authorizedScopes = authorizedScopesFor(run, taskScopes);
  await launch(proxyOverrides(run, authorizedScopes), {
    program: PROGRAM,
    configName: PROGRAM,
    // only these three: the native sidecar binary carries no storage code
    modules: [proxyModule, bewitModule, credentialsModule],
    onListening: (urls, gateway) => {
      gateway.services.log.info(
        { version: versionLine(versionInfo.version, revision), rootUrl: run.rootUrl, clientId: run.clientId, temporary: run.certificate !== '', authorizedScopes, listeners: urls },
        authorizedScopes ? 'proxy with authorized scopes' : 'proxy has the full scopes of its credentials: no scope reduction applied',
      );
    },
  });
}

main(process.argv.slice(2)).catch((err) => fail(PROGRAM, (err as Error).message, 1));
