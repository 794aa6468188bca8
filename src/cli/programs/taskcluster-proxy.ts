/**
 * `taskcluster-proxy`: drop-in for the Go taskcluster-proxy, with its flags and semantics (as
 * generic-worker and docker-worker launch it; ../../../../shared/reference/taskcluster-proxy.md):
 * the gateway with the proxy, /bewit and /credentials on one listener, restricted to the
 * positional scopes plus those of the task of --task-id.
 */
import { isIP } from 'node:net';
import { bewitModule } from '../../plugins/bewit/capability.js';
import { credentialsModule } from '../../plugins/credentials/capability.js';
import { proxyModule } from '../../plugins/proxy/capability.js';
import { versionInfo } from '../../routes/dockerflow.js';
import type { ParsedArgs } from '../args.js';
import type { Program } from '../program.js';

/** `--version`: "Taskcluster proxy <version>", with the git revision when the build knows it. */
export function versionLine(version: string, revision: string | undefined): string {
  return `Taskcluster proxy ${version}${revision ? ` (git revision ${revision})` : ''}`;
}

const revision = () => (versionInfo.commit === 'unknown' ? undefined : versionInfo.commit);

/**
 * The restriction to sign under: the positional scopes plus the task's. With neither a task nor
 * scopes, none (the credentials' full scopes); a task without scopes means no authority at all.
 */
export function authorizedScopesFor(scopes: string[], taskId: string | undefined, taskScopes: string[] | undefined): string[] | null {
  if (taskId === undefined && scopes.length === 0) return null;
  return [...scopes, ...(taskScopes ?? [])];
}

/** The settings the original requires, and its words when one is missing. */
export const REQUIRED: Array<[key: string, message: string]> = [
  ['taskcluster.rootUrl', 'Root URL must be passed via environment variable TASKCLUSTER_ROOT_URL or command line option --root-url'],
  ['taskcluster.clientId', 'Client ID must be passed via environment variable TASKCLUSTER_CLIENT_ID or command line option --client-id'],
  ['taskcluster.accessToken', 'Access token must be passed via environment variable TASKCLUSTER_ACCESS_TOKEN or command line option --access-token'],
];

// an empty value falls back to the environment, as the original's `[default: ]` does
const fromEnvWhenEmpty = (flag: string) => ({ flag, emptyIsUnset: true });

export const taskclusterProxyProgram: Program = {
  name: 'taskcluster-proxy',
  summary: 'Taskcluster authentication proxy: forwards requests to Taskcluster services, signed with the credentials it holds, '
    + 'restricted to the <scope>s given and those of the task of --task-id; with neither, the credentials\' own scopes apply unrestricted.',
  usage: ['[flags] [<scope>...]', '-h|--help', '--version', '--short-version'],
  // only these three: the native sidecar binary carries no storage code
  modules: [proxyModule, bewitModule, credentialsModule],
  // the sidecar serves what the Go proxy serves and Dockerflow's routes, and loads nothing more:
  // metrics and API documents only with an admin listener (--admin-port) to serve them
  instrumentation: 'with-admin',
  configName: 'taskcluster-proxy',
  fixed: { plugins: ['proxy', 'bewit', 'credentials'], listeners: [] },
  defaults: { ipAddress: '' },
  names: {
    port: { flag: 'port', short: 'p' },
    ipAddress: { flag: 'ip-address', short: 'i', check: (v) => (v === '' || isIP(v) !== 0 ? undefined : 'an IPv4 or IPv6 address, or empty for all interfaces') },
    'taskcluster.rootUrl': fromEnvWhenEmpty('root-url'),
    'taskcluster.clientId': fromEnvWhenEmpty('client-id'),
    'taskcluster.accessToken': fromEnvWhenEmpty('access-token'),
    'taskcluster.certificate': fromEnvWhenEmpty('certificate'),
  },
  // the positional scopes and --task-id are the restriction; nothing here verifies Hawk or stores
  hidden: ['taskcluster.authorizedScopes', 'redis', 'trustedProxies', 'forceSsl', 'trustProxy', 'publicUrl', 'dataDir'],
  own: [
    { flag: 'task-id', short: 't', type: 'string', value: '<taskId>', doc: 'Add the scopes of this task (read from the queue without credentials) to the authorized scopes' },
    { flag: 'short-version', type: 'boolean', doc: 'Print only the semantic version and exit' },
  ],
  positionals: { name: '<scope>', min: 0, max: Infinity },
  version: () => versionLine(versionInfo.version, revision()),
  settings: (parsed: ParsedArgs) => ({ 'taskcluster.authorizedScopes': authorizedScopesFor(parsed.positionals, taskIdOf(parsed), undefined) }),
};

export function taskIdOf(parsed: ParsedArgs): string | undefined {
  const taskId = parsed.own['task-id'];
  return typeof taskId === 'string' ? taskId : undefined;
}
