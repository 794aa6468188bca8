/**
 * Settings of host-secrets. The environment names are the original's (TASKCLUSTER_*), so its
 * deployments' configuration works as it is; settings it did not have are GATEWAY_*.
 */
import { validScope } from '../../core/scopes.js';
import { ConfigError, CREDENTIALS_SETTING, requireCredentials, requireSetting, type SettingsOf } from '../../config/settings.js';
import type { Credentials } from '../../core/credentials.js';
import { definePluginModule, NOT_SERVED, type CheckServices } from '../../fastify/capability.js';
import { hostSecretsRoutes } from './routes.js';
import { parseRanges, type AddressRange } from '../../net/addresses.js';
import { checkDnsServers, type ForwardMatch } from './forward-confirmed-dns.js';
import { lifetimeMs, type HostCredentialPolicy } from './host-credentials.js';
import { hostSecretsPlugin, type HostSecretsOptions } from './index.js';
import { IssuingThread } from './issuing-thread.js';

export const hostSecretsSchema = {
  hostSecrets: {
    scopeBase: {
      doc: 'Prefix of the one scope issued; the reversed host name follows (e.g. assume:project:releng:host:)',
      format: String, default: '', env: 'TASKCLUSTER_SCOPE_BASE', arg: 'scope-base',
    },
    clientIdBase: {
      doc: 'Prefix of the issued clientId; the reversed host name follows (e.g. project/releng/host/)',
      format: String, default: '', env: 'TASKCLUSTER_CLIENT_ID_BASE', arg: 'client-id-base',
    },
    credentialsExpire: {
      doc: 'Lifetime of issued credentials, a Taskcluster relative time ("1 day", "12 hours"; at most 31 days)',
      format: String, default: '1 day', env: 'TASKCLUSTER_CREDENTIALS_EXPIRE', arg: 'expires',
    },
    allowedIps: {
      doc: 'Addresses that may ask, CIDRs separated by commas or spaces (a bare address is /32 or /128); 0.0.0.0/0,::/0 = any',
      format: Array, default: [] as string[], env: 'TASKCLUSTER_ALLOWED_IPS', arg: 'allowed-ips',
    },
    dnsServers: {
      doc: 'DNS servers for the reverse and forward look-ups, host:port separated by commas; empty = the system resolvers',
      format: Array, default: [] as string[], env: 'GATEWAY_DNS_SERVERS', arg: 'dns-servers',
    },
    dnsTimeoutMs: {
      doc: 'Longest time the look-ups of one request may take together before it is refused',
      format: 'nat', default: 2000, env: 'GATEWAY_DNS_TIMEOUT_MS', arg: 'dns-timeout-ms',
    },
    forwardMatch: {
      doc: 'exact: the PTR name must resolve to exactly the client address (the original); among: the address must be one of its records',
      format: ['exact', 'among'], default: 'exact' as ForwardMatch, env: 'GATEWAY_DNS_FORWARD_MATCH', arg: 'dns-forward-match',
    },
    rateLimitPerMinute: {
      doc: 'Credential requests per client address per minute; 0 = unlimited',
      format: 'nat', default: 6, env: 'GATEWAY_HOST_SECRETS_RATE_LIMIT', arg: 'host-secrets-rate-limit',
    },
  },
};

type Key = keyof typeof hostSecretsSchema.hostSecrets;

/** How a setting is named in errors: its key, environment variable and flag. */
function settingName(key: Key): string {
  const spec = hostSecretsSchema.hostSecrets[key];
  return `hostSecrets.${key} (${spec.env}, --${spec.arg})`;
}

/** The auth service's clientId pattern: the base must be a valid start, hostnames only add [a-z0-9.-]. */
const CLIENT_ID = /^[A-Za-z0-9!@/:.+|_-]+$/;

export const hostSecretsModule = definePluginModule({
  name: 'host-secrets',
  schema: hostSecretsSchema,
  documentedRoutes: () => hostSecretsRoutes(NOT_SERVED, () => 0, false),
  liveSettings: ['hostSecrets.scopeBase', 'hostSecrets.clientIdBase', 'hostSecrets.credentialsExpire', 'hostSecrets.allowedIps', 'hostSecrets.rateLimitPerMinute'],
  check: (settings, services) => void checkSettings(settings, services),
  async create(settings, services) {
    const { policy, allowedRanges } = checkSettings(settings, services);
    const { hostSecrets } = settings;
    const issuing = new IssuingThread({
      dns: { servers: hostSecrets.dnsServers, timeoutMs: hostSecrets.dnsTimeoutMs, forwardMatch: hostSecrets.forwardMatch },
      policy,
    });
    let { rateLimitPerMinute } = hostSecrets;
    const options: HostSecretsOptions = {
      allowedRanges,
      trustedProxies: services.trustedProxies,
      issuing,
      forceSsl: services.settings.forceSsl,
      publicOrigin: services.publicOrigin,
      trustProxy: services.settings.trustProxy,
      rateLimitPerMinute: () => rateLimitPerMinute,
      rateLimitStore: services.rateLimitStore,
      auditLog: services.log.child({ plugin: 'host-secrets' }),
      events: services.events,
    };
    return {
      plugin: hostSecretsPlugin,
      options,
      async reconfigure({ hostSecrets: next }) {
        const live = liveSettings(next, policy.issuer);
        return () => {
          // one synchronous step: a request checks the allow-list and hands its address to the issuing thread in one step too
          allowedRanges.splice(0, allowedRanges.length, ...live.allowedRanges);
          issuing.setPolicy(live.policy);
          rateLimitPerMinute = next.rateLimitPerMinute;
        };
      },
      close: () => issuing.close(),
    };
  },
});

/** Every check of the settings, a start's and a reload's; the live ones checked, for create. */
function checkSettings({ hostSecrets: settings }: SettingsOf<typeof hostSecretsSchema>, services: CheckServices): ReturnType<typeof liveSettings> {
  const issuer = requireCredentials(services.credentials);
  if (issuer.certificate) throw new ConfigError(`setting ${CREDENTIALS_SETTING}: host-secrets needs permanent credentials; temporary ones cannot issue credentials`);
  const live = liveSettings(settings, issuer);
  if (settings.dnsTimeoutMs === 0) throw new ConfigError(`setting ${settingName('dnsTimeoutMs')}: must be positive`);
  try {
    checkDnsServers(settings.dnsServers);
  } catch (err) {
    throw new ConfigError(`setting ${settingName('dnsServers')}: ${(err as Error).message}`);
  }
  return live;
}

/** The settings a reload may change, checked: the issuing policy and the allow-list. */
function liveSettings(settings: SettingsOf<typeof hostSecretsSchema>['hostSecrets'], issuer: Credentials): { policy: HostCredentialPolicy; allowedRanges: AddressRange[] } {
  const scopeBase = requireSetting(settings.scopeBase, settingName('scopeBase'));
  if (!validScope(`${scopeBase}x`)) throw new ConfigError(`setting ${settingName('scopeBase')}: scopes are printable ASCII`);
  const clientIdBase = requireSetting(settings.clientIdBase, settingName('clientIdBase'));
  if (!CLIENT_ID.test(clientIdBase)) throw new ConfigError(`setting ${settingName('clientIdBase')}: ${JSON.stringify(clientIdBase)} cannot begin a Taskcluster clientId`);
  const allowedRanges = parseRanges(settings.allowedIps, settingName('allowedIps'));
  if (allowedRanges.length === 0) {
    throw new ConfigError(`missing required setting ${settingName('allowedIps')} (0.0.0.0/0,::/0 lets any address ask, as the original's development profile did)`);
  }
  const lifetime = lifetimeMs(settings.credentialsExpire, settingName('credentialsExpire'));
  return { policy: { scopeBase, clientIdBase, lifetimeMs: lifetime, issuer }, allowedRanges };
}
