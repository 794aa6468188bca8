// What relengapi counts (issue 16 §4): temporary tokens asked for, by outcome, and its upstream
// errors under its own name, through the whole gateway and the fake RelengAPI, read back from
// /metrics on the admin listener.
import t from 'tap';
import { loadConfig } from '../../../src/config/load.js';
import { relengapiModule } from '../../../src/plugins/relengapi/capability.js';
import { gatewayWithAdmin, samplesOf } from '../../helpers/metrics.js';
import { deadUrl, PERMANENT_TOKEN, setup, TASK_ID } from './gateway-setup.js';

t.test('token renewals by outcome, and upstream errors under the plugin name', async (t) => {
  const { relengapi, tc } = await setup(t);
  const dead = await deadUrl();
  const gatewayFor = async (token: string) => {
    const argv = [
      '--listeners', JSON.stringify([{ name: 'task', host: '127.0.0.1', port: 0, plugins: ['relengapi'] }]),
      '--root-url', tc.rootUrl, '--relengapi-task-id', TASK_ID, '--relengapi-token', token, '--relengapi-url', relengapi.tokenUrl,
      '--relengapi-route', `/tooltool=${relengapi.url}`, '--relengapi-route', `/gone=${dead}`,
      // a connection error is answered at once, not retried
      '--relengapi-retry-max-elapsed-ms', '0',
    ];
    return gatewayWithAdmin(t, loadConfig({ env: {}, argv, modules: [relengapiModule] }));
  };

  const { urls, scrape } = await gatewayFor(PERMANENT_TOKEN);
  t.equal((await fetch(`${urls.task}/tooltool/one`)).status, 200, 'the first token issued');
  t.equal((await fetch(`${urls.task}/tooltool/two`)).status, 200, 'the same token');
  relengapi.revokeAll();
  t.equal((await fetch(`${urls.task}/tooltool/three`)).status, 200, 'refused by the service: a new token, and the request sent again');
  t.equal((await fetch(`${urls.task}/gone/x`)).status, 502, 'a service that is not there');
  t.same(samplesOf(await scrape(), 'gateway_relengapi_'), { 'gateway_relengapi_token_renewals_total{outcome="issued"}': 2 });
  t.same(samplesOf(await scrape(), 'gateway_upstream_'), { 'gateway_upstream_errors_total{plugin="relengapi",reason="connection"}': 1 });

  const refused = await gatewayFor('not-the-permanent-token');
  t.equal((await fetch(`${refused.urls.task}/tooltool/one`)).status, 502, 'RelengAPI refuses to issue a token');
  t.same(samplesOf(await refused.scrape(), 'gateway_relengapi_'), { 'gateway_relengapi_token_renewals_total{outcome="failed"}': 1 });
});
