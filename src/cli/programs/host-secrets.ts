/**
 * `host-secrets`: the gateway as a drop-in for taskcluster-host-secrets. The original start
 * script's flags, each equal to its environment variable (`--flag value` or `--flag=value`),
 * plus every other setting of the host-secrets capability; serves only that plugin on all
 * interfaces, port 60401 (the original's development port) unless PORT or --port says otherwise.
 */
import { hostSecretsModule } from '../../plugins/host-secrets/capability.js';
import { versionInfo } from '../../routes/dockerflow.js';
import type { Program } from '../program.js';

export const hostSecretsProgram: Program = {
  name: 'host-secrets',
  summary: 'Taskcluster credentials for hosts proven by forward-confirmed reverse DNS (GET /v1/credentials), as taskcluster-host-secrets served them.',
  usage: ['[flags]'],
  modules: [hostSecretsModule],
  configName: 'host-secrets',
  fixed: { plugins: ['host-secrets'], listeners: [] },
  // the original answered machines across the network, on its development port
  defaults: { port: 60401, ipAddress: '' },
  // the original's name for the issuing client's token
  names: { 'taskcluster.accessToken': { flag: 'token' } },
  // host-secrets issues with permanent credentials and restricts nothing; it reaches no
  // Taskcluster service (credentials are made here) and keeps no embedded state
  hidden: ['taskcluster.rootUrl', 'taskcluster.certificate', 'taskcluster.authorizedScopes', 'allowedUser', 'allowedNetwork', 'dataDir'],
  version: () => `host-secrets ${versionInfo.version}`,
};
