// What the proxy counts (issue 16 §4): retries by reason and errors of its own (no upstream
// answer), through the whole gateway and the fake Taskcluster forcing each failure, read back
// from /metrics on the admin listener.
import t from 'tap';
import { loadConfig } from '../../../src/config/load.js';
import { proxyModule } from '../../../src/plugins/proxy/capability.js';
import { startFakeTaskcluster } from '../../helpers/fake-taskcluster.js';
import { gatewayWithAdmin, samplesOf } from '../../helpers/metrics.js';
import { clients } from './gateway.js';

t.test('retries and upstream errors are counted by reason, each once', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  const env = { TASKCLUSTER_ROOT_URL: tc.rootUrl, TASKCLUSTER_CLIENT_ID: clients.worker.clientId, TASKCLUSTER_ACCESS_TOKEN: clients.worker.accessToken };
  const argv = [
    '--listeners', JSON.stringify([{ name: 'tasks', host: '127.0.0.1', port: 0, plugins: ['proxy'] }]),
    // retries a few ms apart, never running out of time in this test; bodies over 16 bytes stream, never retried
    '--proxy-retry-initial-ms', '5', '--proxy-retry-max-interval-ms', '20', '--proxy-retry-max-elapsed-ms', '60000',
    '--proxy-buffer-limit', '16', '--proxy-timeout-ms', '500',
  ];
  const { urls, scrape } = await gatewayWithAdmin(t, loadConfig({ env, argv, modules: [proxyModule] }));
  const queue = (path: string, init?: RequestInit) => fetch(`${urls.tasks}/queue/v1/${path}`, init);

  t.same(samplesOf(await scrape(), 'gateway_upstream_'), {}, 'nothing counted before the first request');
  t.equal((await queue('fine')).status, 200, 'an answer at the first attempt: nothing to count');
  tc.route({ path: '/api/queue/v1/flaky', status: 503, times: 2 });
  tc.route({ path: '/api/queue/v1/flaky', status: 429, times: 1 });
  t.equal((await queue('flaky')).status, 200, 'answered after 503, 503 and 429');
  tc.route({ path: '/api/queue/v1/dropped', drop: true, times: 2 });
  t.equal((await queue('dropped', { method: 'POST', body: '{}' })).status, 200, 'answered after two closed connections, the held body sent again');
  tc.route({ path: '/api/queue/v1/always-dropped', drop: true });
  const streamed = await queue('always-dropped', { method: 'POST', body: JSON.stringify({ long: 'x'.repeat(64) }) });
  t.equal(streamed.status, 502, 'a streamed body is not sent again: 502');
  tc.route({ path: '/api/queue/v1/slow', hang: true });
  t.equal((await queue('slow')).status, 504, 'no answer within the timeout: 504');

  const expected = {
    'gateway_upstream_retries_total{plugin="proxy",reason="status"}': 3,
    'gateway_upstream_retries_total{plugin="proxy",reason="connection"}': 2,
    'gateway_upstream_errors_total{plugin="proxy",reason="connection"}': 1,
    'gateway_upstream_errors_total{plugin="proxy",reason="timeout"}': 1,
  };
  t.same(samplesOf(await scrape(), 'gateway_upstream_'), expected);
  t.same(samplesOf(await scrape(), 'gateway_upstream_'), expected, 'a second scrape counts nothing twice');
});
