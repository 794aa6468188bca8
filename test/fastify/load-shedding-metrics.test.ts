// Requests shed under overload are counted by the measure past its threshold (issue 16 §4),
// read from /metrics on the admin listener, which is never shed. The overload is a heap
// threshold of 1 byte: every sample is over it, so every request after the first sample is shed.
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { get } from '../helpers/http.js';
import { gatewayWithAdmin, samplesOf } from '../helpers/metrics.js';

t.test('each shed request counted once, by reason', async (t) => {
  const argv = ['--listeners', JSON.stringify([{ name: 'main', host: '127.0.0.1', port: 0, plugins: [] }]),
    '--max-event-loop-delay-ms', '0', '--max-heap-used-bytes', '1', '--load-sample-interval-ms', '100'];
  const { urls, scrape } = await gatewayWithAdmin(t, loadConfig({ argv, env: {} }), { quickstart: true });
  let shed = 0;
  // served until under-pressure takes its first sample; shed from then on
  while (shed === 0) {
    if ((await get(`${urls.main}/__lbheartbeat__`)).status === 503) shed++;
    else await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const more = await Promise.all([get(`${urls.main}/__heartbeat__`), get(`${urls.main}/__version__`), get(`${urls.main}/__lbheartbeat__`)]);
  t.same(more.map((answer) => answer.status), [503, 503, 503], 'shed while over the threshold');
  shed += more.length;
  t.same(samplesOf(await scrape(), 'gateway_load_shed_total'), { 'gateway_load_shed_total{reason="heapUsedBytes"}': shed });
  t.equal((await scrape())['gateway_requests_total{listener="main",method="GET",status="503"}'], shed, 'the HTTP count agrees');
});
