// Settings are checked at start: each mistake is a ConfigError naming the setting.
import t from 'tap';
import { hostSecretsModule } from '../../../src/plugins/host-secrets/capability.js';
import { baseEnv, servicesFor } from './harness.js';
import { WELL_FORMED_CERTIFICATE } from '../../helpers/certificate.js';

const create = async (env: NodeJS.ProcessEnv) => {
  const { settings, services } = servicesFor({ ...baseEnv, ...env });
  return hostSecretsModule.create(settings, services);
};

t.test('a complete configuration creates the plugin with the settings it names', async (t) => {
  const created = await create({ TASKCLUSTER_CREDENTIALS_EXPIRE: '12 hours', TASKCLUSTER_ALLOWED_IPS: '10.0.0.0/8, 192.168.1.1 ::1', GATEWAY_TRUSTED_PROXIES: '10.1.0.0/16' });
  const options = created.options as Record<string, any>;
  t.equal(options.issuing.settings.policy.lifetimeMs, 12 * 3600 * 1000);
  t.same(options.allowedRanges.map(([a, p]: [{ toString(): string }, number]) => `${a}/${p}`), ['10.0.0.0/8', '192.168.1.1/32', '::1/128']);
  t.ok(options.trustedProxies.trusts('10.1.255.1') && !options.trustedProxies.trusts('10.2.0.1'), 'the gateway\'s trusted proxies');
  t.equal(options.rateLimitPerMinute(), 6, 'rate limit on by default');
  t.equal(options.issuing.settings.policy.issuer.clientId, baseEnv.TASKCLUSTER_CLIENT_ID);
});

const mistakes: Array<[string, NodeJS.ProcessEnv, RegExp]> = [
  ['no scope base', { TASKCLUSTER_SCOPE_BASE: '' }, /^missing required setting hostSecrets\.scopeBase \(TASKCLUSTER_SCOPE_BASE, --scope-base\)$/],
  ['a scope base that is not printable ASCII', { TASKCLUSTER_SCOPE_BASE: 'assume:hôte:' }, /hostSecrets\.scopeBase .*printable ASCII/],
  ['no clientId base', { TASKCLUSTER_CLIENT_ID_BASE: '' }, /^missing required setting hostSecrets\.clientIdBase \(TASKCLUSTER_CLIENT_ID_BASE, --client-id-base\)$/],
  ['a clientId base with a space', { TASKCLUSTER_CLIENT_ID_BASE: 'project/releng host/' }, /hostSecrets\.clientIdBase .*cannot begin a Taskcluster clientId/],
  ['no issuer credentials', { TASKCLUSTER_CLIENT_ID: '', TASKCLUSTER_ACCESS_TOKEN: '' }, /missing required setting taskcluster\.clientId .*TASKCLUSTER_CLIENT_ID/],
  ['temporary issuer credentials', { TASKCLUSTER_CERTIFICATE: WELL_FORMED_CERTIFICATE }, /needs permanent credentials/],
  ['no allowed addresses', { TASKCLUSTER_ALLOWED_IPS: '' }, /missing required setting hostSecrets\.allowedIps \(TASKCLUSTER_ALLOWED_IPS, --allowed-ips\)/],
  ['a prefix too long', { TASKCLUSTER_ALLOWED_IPS: '10.0.0.0/33' }, /hostSecrets\.allowedIps .*"10\.0\.0\.0\/33" is not an IP address or CIDR/],
  ['a short-hand address', { TASKCLUSTER_ALLOWED_IPS: '127.1' }, /"127\.1" is not an IP address or CIDR/],
  ['a host name', { TASKCLUSTER_ALLOWED_IPS: 'host.example.com' }, /"host\.example\.com" is not/],
  ['two prefixes', { TASKCLUSTER_ALLOWED_IPS: '10.0.0.0/8/8' }, /"10\.0\.0\.0\/8\/8" is not/],
  ['a lifetime beyond 31 days', { TASKCLUSTER_CREDENTIALS_EXPIRE: '32 days' }, /hostSecrets\.credentialsExpire \(TASKCLUSTER_CREDENTIALS_EXPIRE, --expires\): "32 days" is longer than the 31 days/],
  ['a lifetime that is not a relative time', { TASKCLUSTER_CREDENTIALS_EXPIRE: 'tomorrow' }, /"tomorrow" is not a Taskcluster relative time/],
  ['a negative lifetime', { TASKCLUSTER_CREDENTIALS_EXPIRE: '-1 day' }, /"-1 day" must be a positive duration/],
  ['a DNS server that is not an address', { GATEWAY_DNS_SERVERS: 'dns.example.com:53' }, /hostSecrets\.dnsServers \(GATEWAY_DNS_SERVERS, --dns-servers\)/],
  ['a zero DNS timeout', { GATEWAY_DNS_TIMEOUT_MS: '0' }, /hostSecrets\.dnsTimeoutMs .*must be positive/],
  ['a trusted proxy that is not a CIDR', { GATEWAY_TRUSTED_PROXIES: 'proxy.example.com' }, /trustedProxies \(GATEWAY_TRUSTED_PROXIES, --trusted-proxies\)/],
  ['an unknown forward match', { GATEWAY_DNS_FORWARD_MATCH: 'loose' }, /hostSecrets\.forwardMatch/],
];
for (const [what, env, message] of mistakes) {
  t.test(`refused at start: ${what}`, async (t) => {
    await t.rejects(create(env), { name: 'ConfigError', message });
  });
}

t.test('31 days is the longest lifetime accepted', async (t) => {
  const created = await create({ TASKCLUSTER_CREDENTIALS_EXPIRE: '31 days' });
  t.equal((created.options as Record<string, any>).issuing.settings.policy.lifetimeMs, 31 * 24 * 3600 * 1000);
});
