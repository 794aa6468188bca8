#!/usr/bin/env node
/**
 * `relengapi-proxy`: the gateway as a drop-in for taskcluster/relengapi-proxy, serving only the
 * relengapi plugin on all interfaces (the original ran alone in a container linked to the task's).
 *   relengapi-proxy [options] -- <taskId>
 * The original's flags, as docker-worker passed them (`--relengapi-token=<token> -- <taskId>`),
 * plus the token file, token URL, service routes and the Taskcluster root URL.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/settings.js';
import { versionInfo } from '../routes/dockerflow.js';
import { fail, launch, orExit, portNumber } from './launch.js';
import { relengapiModule } from '../plugins/relengapi/capability.js';

const PROGRAM = 'relengapi-proxy';

export const USAGE = `RelengAPI authentication proxy.

Attaches a temporary RelengAPI token to every request it forwards to RelengAPI services. The
token holds the permissions named by the task's scopes docker-worker:relengapi-proxy:<permission>,
and is issued with the permanent token given here, so it can never hold more than that one.

Usage:
  ${PROGRAM} [options] -- <taskId>
  ${PROGRAM} -h|--help
  ${PROGRAM} --version

Options:
  -h --help                       Show this help screen.
  --version                       Show version.
  -p --port <port>                Port to listen on, all interfaces [default: 8080].
  --relengapi-token <token>       Permanent RelengAPI token that issues temporary tokens.
  --relengapi-token-file <path>   File holding that token (instead of --relengapi-token).
  --relengapi-host <host>         Token endpoint https://<host>/tokenauth/tokens (older RelengAPI).
  --relengapi-url <url>           Token endpoint [default: https://tokens.mozilla-releng.net/tokens].
  --relengapi-route <p>=<url>     Send /<p>/... to <url>/... (repeatable; replaces the defaults
                                  /tooltool, /treestatus and /mapper on *.mozilla-releng.net).
  --root-url <url>                Taskcluster root URL whose queue holds the task
                                  [default: TASKCLUSTER_ROOT_URL].

The gateway's environment variables and config files apply as well (see taskcluster-gateway --help).
`;

/** Either text to print (help, version) or the settings to launch with. */
export type RelengapiProxyCommand = { action: 'print'; text: string } | { action: 'run'; overrides: Record<string, unknown> };

/** The command line as settings for launch(); ConfigError (exit 2) when it is wrong. */
export function relengapiProxyCommand(args: string[], env: NodeJS.ProcessEnv): RelengapiProxyCommand {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(args);
  } catch (err) {
    // node's first sentence says what is wrong; the rest is advice about positionals
    throw new ConfigError(`${(err as Error).message.split(/\.\s/)[0]} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { action: 'print', text: USAGE };
  if (values.version) return { action: 'print', text: `RelengAPI proxy ${versionInfo.version}\n` };
  if (positionals.length !== 1) throw new ConfigError(`one <taskId> is needed: ${PROGRAM} [options] -- <taskId>`);

  const overrides: Record<string, unknown> = { plugins: ['relengapi'], 'relengapi.taskId': positionals[0] };
  if (values.port !== undefined) overrides.port = portNumber('port', values.port);
  // the original answered the task's container across the docker network
  if (!env.GATEWAY_IP_ADDRESS) overrides.ipAddress = '';
  if (values['relengapi-token'] !== undefined) overrides['relengapi.token'] = values['relengapi-token'];
  if (values['relengapi-token-file'] !== undefined) overrides['relengapi.tokenFile'] = values['relengapi-token-file'];
  if (values['relengapi-url'] !== undefined) overrides['relengapi.tokenUrl'] = values['relengapi-url'];
  else if (values['relengapi-host'] !== undefined) overrides['relengapi.tokenUrl'] = tokenUrlOfHost(values['relengapi-host']);
  if (values['relengapi-route'] !== undefined) overrides['relengapi.routes'] = values['relengapi-route'];
  if (values['root-url'] !== undefined) overrides['taskcluster.rootUrl'] = values['root-url'];
  return { action: 'run', overrides };
}

function parseCommandLine(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
      port: { type: 'string', short: 'p' },
      'relengapi-token': { type: 'string' },
      'relengapi-token-file': { type: 'string' },
      'relengapi-host': { type: 'string' },
      'relengapi-url': { type: 'string' },
      'relengapi-route': { type: 'string', multiple: true },
      'root-url': { type: 'string' },
    },
  });
}

/** Before its tokens service moved, RelengAPI issued tokens at <host>/tokenauth/tokens, over https. */
function tokenUrlOfHost(host: string): string {
  const base = host.includes('://') ? host : `https://${host}`;
  return `${base.replace(/\/+$/, '')}/tokenauth/tokens`;
}

async function main(args: string[]): Promise<void> {
  const command = orExit(PROGRAM, () => relengapiProxyCommand(args, process.env));
  if (command.action === 'print') process.stdout.write(command.text);
  else await launch(command.overrides, { program: PROGRAM, argv: [], modules: [relengapiModule] });
}

// Run only as the program (the bin is a symlink to this file), not when tests import the parser.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => fail(PROGRAM, (err as Error).message, 1));
}
