/**
 * The `taskcluster-proxy` drop-in's command line, as the Go original reads it
 * (../../../../shared/reference/taskcluster-proxy.md, CLI): pure functions from argv and
 * environment to what to do, and from there to the gateway's configuration overrides.
 */
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';

export const PROXY_USAGE = `Taskcluster authentication proxy: forwards requests to Taskcluster services, signed with
the credentials it holds, restricted to the scopes given and those of a task.

  Usage:
    taskcluster-proxy [options] [<scope>...]
    taskcluster-proxy -h|--help
    taskcluster-proxy --version
    taskcluster-proxy --short-version

  Options:
    -h --help                     Show this help.
    --version                     Show the version.
    --short-version               Show only the semantic version.
    -p --port <port>              Port to listen on [default: 8080].
    -i --ip-address <address>     IPv4 or IPv6 address to listen on; empty = all interfaces [default: ].
    -t --task-id <taskId>         Add the scopes of this task to the authorized scopes.
    --root-url <rootUrl>          Root URL of the Taskcluster deployment [env TASKCLUSTER_ROOT_URL].
    --client-id <clientId>        Client ID to sign with [env TASKCLUSTER_CLIENT_ID].
    --access-token <accessToken>  Its access token [env TASKCLUSTER_ACCESS_TOKEN].
    --certificate <certificate>   Certificate of temporary credentials [env TASKCLUSTER_CERTIFICATE].
    --allowed-user <username>     Serve only connections from this OS user's sockets (or root's).
    --allowed-network <cidr>      Also admit peers in this network whose socket is not visible here.

  Without <scope> and --task-id the credentials' own scopes apply unrestricted.
`;

/** A command line the original would refuse: the message, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ProxyRun {
  port: number;
  /** '' = all interfaces. */
  ipAddress: string;
  taskId: string | undefined;
  rootUrl: string;
  clientId: string;
  accessToken: string;
  /** '' = permanent credentials. */
  certificate: string;
  allowedUser: string;
  allowedNetwork: string;
  scopes: string[];
}

export type ProxyCommand = { action: 'help' | 'version' | 'short-version' } | { action: 'run'; run: ProxyRun };

const VALUE_FLAGS = new Map([
  ['-p', 'port'], ['--port', 'port'], ['-i', 'ip-address'], ['--ip-address', 'ip-address'], ['-t', 'task-id'], ['--task-id', 'task-id'],
  ['--root-url', 'root-url'], ['--client-id', 'client-id'], ['--access-token', 'access-token'], ['--certificate', 'certificate'],
  ['--allowed-user', 'allowed-user'], ['--allowed-network', 'allowed-network'],
]);

/**
 * `--flag value` as `--flag=value`, so that a value starting with a dash (`--port -1`) is taken
 * as the value, as docopt does, rather than refused as ambiguous by parseArgs.
 */
function joinValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const long = VALUE_FLAGS.get(arg);
    if (long !== undefined && i + 1 < argv.length) out.push(`--${long}=${argv[++i]}`);
    else out.push(arg);
  }
  return out;
}

function parsePort(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new UsageError(`invalid port ${JSON.stringify(text)}: not an integer`);
  const port = Number(text);
  if (port < 0 || port > 65535) throw new UsageError(`port ${text} is not in range [0,65535]`);
  return port;
}

/** From the command line and environment to what to do; throws UsageError. */
export function parseProxyArgs(argv: string[], env: Record<string, string | undefined>): ProxyCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinValues(argv),
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        'short-version': { type: 'boolean' },
        port: { type: 'string', short: 'p', default: '8080' },
        'ip-address': { type: 'string', short: 'i', default: '' },
        'task-id': { type: 'string', short: 't' },
        'root-url': { type: 'string' },
        'client-id': { type: 'string' },
        'access-token': { type: 'string' },
        certificate: { type: 'string' },
        'allowed-user': { type: 'string', default: '' },
        'allowed-network': { type: 'string', default: '' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { action: 'help' };
  if (values.version) return { action: 'version' };
  if (values['short-version']) return { action: 'short-version' };

  const port = parsePort(values.port);
  const ipAddress = values['ip-address'];
  if (ipAddress !== '' && isIP(ipAddress) === 0) throw new UsageError(`invalid IPv4/IPv6 address specified - cannot parse: ${ipAddress}`);
  // an empty flag falls back to the environment, as the original's [default: ] does
  const setting = (flag: 'root-url' | 'client-id' | 'access-token' | 'certificate', name: string) => values[flag] || env[name] || '';
  const rootUrl = setting('root-url', 'TASKCLUSTER_ROOT_URL');
  if (!rootUrl) throw new UsageError('Root URL must be passed via environment variable TASKCLUSTER_ROOT_URL or command line option --root-url');
  const clientId = setting('client-id', 'TASKCLUSTER_CLIENT_ID');
  if (!clientId) throw new UsageError('Client ID must be passed via environment variable TASKCLUSTER_CLIENT_ID or command line option --client-id');
  const accessToken = setting('access-token', 'TASKCLUSTER_ACCESS_TOKEN');
  if (!accessToken) throw new UsageError('Access token must be passed via environment variable TASKCLUSTER_ACCESS_TOKEN or command line option --access-token');
  return {
    action: 'run',
    run: {
      port, ipAddress, taskId: values['task-id'], rootUrl, clientId, accessToken,
      certificate: setting('certificate', 'TASKCLUSTER_CERTIFICATE'),
      allowedUser: values['allowed-user'], allowedNetwork: values['allowed-network'], scopes: positionals,
    },
  };
}

/**
 * The restriction to sign under: the positional scopes plus the task's. With neither a task nor
 * scopes, none (the credentials' full scopes); a task without scopes means no authority at all.
 */
export function authorizedScopesFor(run: ProxyRun, taskScopes: string[] | undefined): string[] | null {
  if (run.taskId === undefined && run.scopes.length === 0) return null;
  return [...run.scopes, ...(taskScopes ?? [])];
}

/** The gateway configuration of the drop-in: proxy, /bewit and /credentials on one listener. */
export function proxyOverrides(run: ProxyRun, authorizedScopes: string[] | null): Record<string, unknown> {
  return {
    plugins: ['proxy', 'bewit', 'credentials'],
    listeners: [],
    port: run.port,
    ipAddress: run.ipAddress,
    'taskcluster.rootUrl': run.rootUrl,
    'taskcluster.clientId': run.clientId,
    'taskcluster.accessToken': run.accessToken,
    'taskcluster.certificate': run.certificate,
    'taskcluster.authorizedScopes': authorizedScopes,
    allowedUser: run.allowedUser,
    allowedNetwork: run.allowedNetwork,
  };
}

/** `--version`: "Taskcluster proxy <version>", with the git revision when the build knows it. */
export function versionLine(version: string, revision: string | undefined): string {
  return `Taskcluster proxy ${version}${revision ? ` (git revision ${revision})` : ''}`;
}
