// What host-secrets counts (issue 16 §4): credentials issued, and refusals by the check that
// failed, through the whole gateway on real sockets and a real DNS server, read back from
// /metrics on the admin listener.
import t from 'tap';
import { loadConfig } from '../../../src/config/load.js';
import { hostSecretsModule } from '../../../src/plugins/host-secrets/capability.js';
import { gatewayWithAdmin, samplesOf } from '../../helpers/metrics.js';
import { baseEnv, get } from './harness.js';
import { ptrName, startZoneServer } from './zone-server.js';

const zone = await startZoneServer({
  PTR: { [ptrName('127.0.0.5')]: ['a.test.example.com'] },
  A: { 'a.test.example.com': ['127.0.0.5'] },
});
t.teardown(() => zone.close());

t.test('each credential request is counted once, by outcome and by the check that refused it', async (t) => {
  const env = {
    ...baseEnv,
    GATEWAY_DNS_SERVERS: zone.server,
    // 127.0.0.7 is left out of the allowed addresses
    TASKCLUSTER_ALLOWED_IPS: '127.0.0.5 127.0.0.6 127.0.0.9 127.0.0.20',
    GATEWAY_TRUSTED_PROXIES: '127.0.0.20',
    GATEWAY_HOST_SECRETS_RATE_LIMIT: '3',
  };
  const loaded = loadConfig({ env, argv: ['--listeners', JSON.stringify([{ name: 'hosts', host: '127.0.0.1', port: 0, plugins: ['host-secrets'] }])], modules: [hostSecretsModule] });
  const { urls, scrape } = await gatewayWithAdmin(t, loaded);
  const ask = async (localAddress: string, headers: Record<string, string> = {}) => (await get(`${urls.hosts}/v1/credentials`, { localAddress, headers })).status;

  t.same(samplesOf(await scrape(), 'gateway_host_credentials_total'), {}, 'nothing counted before the first request');
  t.same([await ask('127.0.0.5'), await ask('127.0.0.5')], [200, 200], 'a proven host, twice');
  t.equal(await ask('127.0.0.6'), 403, 'allowed, but no PTR record');
  t.equal(await ask('127.0.0.7'), 403, 'not in the allowed addresses');
  t.equal(await ask('127.0.0.20', { 'x-forwarded-for': 'not-an-ip' }), 403, 'a trusted proxy naming no address');
  const statuses = [];
  for (let i = 0; i < 5; i++) statuses.push(await ask('127.0.0.9'));
  t.same(statuses, [403, 403, 403, 429, 429], 'no PTR record three times, then over the limit of 3 a minute');

  const expected = {
    'gateway_host_credentials_total{outcome="issued"}': 2,
    'gateway_host_credentials_total{outcome="refused",check="dns"}': 4,
    'gateway_host_credentials_total{outcome="refused",check="allowed_ips"}': 1,
    'gateway_host_credentials_total{outcome="refused",check="client_address"}': 1,
    'gateway_host_credentials_total{outcome="refused",check="rate_limit"}': 2,
  };
  t.same(samplesOf(await scrape(), 'gateway_host_credentials_total'), expected);
  t.same(samplesOf(await scrape(), 'gateway_host_credentials_total'), expected, 'a second scrape counts nothing twice');
  t.equal((await scrape())['gateway_requests_total{listener="hosts",method="GET",status="403"}'], 6, 'the HTTP count agrees');
});
