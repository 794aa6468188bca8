// Request metrics: every answer counted by listener, method and status, and timed, exactly once;
// the gateway's event counters; and the names of every metric, as Prometheus conventions say.
import t from 'tap';
import Fastify from 'fastify';
import { GatewayEvents } from '../../src/core/events.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { buildGateway } from '../../src/server.js';
import { createMetrics, eventMetrics, redisGauge, requestMetrics } from '../../src/routes/metrics.js';
import { parseExposition, samplesOf } from '../helpers/metrics.js';

t.test('answers are counted and timed per listener, each once however often the metrics are read', async (t) => {
  const metrics = createMetrics();
  const apps = await Promise.all(['tasks', 'hosts'].map(async (listener) => {
    const app = Fastify();
    await app.register(requestMetrics, { metrics, listener });
    app.get('/ok', async () => ({}));
    t.teardown(() => app.close());
    return app;
  }));
  const [tasks, hosts] = apps as [typeof apps[0], typeof apps[0]];
  for (let i = 0; i < 3; i++) await tasks.inject('/ok');
  await tasks.inject('/missing');
  await tasks.inject({ method: 'POST', url: '/ok' });
  await hosts.inject('/ok');

  const counts = async () => Object.fromEntries((await metrics.requests.get()).values.map((v) => [`${v.labels.listener} ${v.labels.method} ${v.labels.status}`, v.value]));
  const expected = { 'tasks GET 200': 3, 'tasks GET 404': 1, 'tasks POST 404': 1, 'hosts GET 200': 1 };
  t.same(await counts(), expected);
  t.same(await counts(), expected, 'reading again counts nothing twice');
  await hosts.inject('/ok');
  t.equal((await counts())['hosts GET 200'], 2, 'later answers are added');

  const observed = (await metrics.duration.get()).values.filter((v) => v.metricName === 'gateway_request_duration_seconds_count');
  t.same(Object.fromEntries(observed.map((v) => [v.labels.listener, v.value])), { tasks: 5, hosts: 2 });
  t.match(await metrics.registry.metrics(), /gateway_requests_total\{listener="tasks",method="GET",status="200"\} 3/);
});

t.test('every metric follows Prometheus naming: counters end in _total, durations in seconds, sizes in bytes', async (t) => {
  // the registry of a gateway as server.ts composes it, with the gauge it adds when Redis is configured
  const gateway = await buildGateway(loadConfig({ argv: ['--listeners', JSON.stringify([{ name: 'one', host: '127.0.0.1', port: 0, plugins: [] }])] }), { log: createLogger('silent'), quickstart: true });
  t.teardown(() => gateway.close());
  const metrics = gateway.metrics!;
  redisGauge(metrics, { available: true });
  // prom-client's default metrics name three gauges with _total, a legacy it keeps for compatibility
  const legacyGauges = new Set(['gateway_nodejs_active_handles_total', 'gateway_nodejs_active_requests_total', 'gateway_nodejs_active_resources_total']);
  // units other than the base ones, as name segments
  const nonBaseUnits = new Set(['ms', 'milliseconds', 'microseconds', 'us', 'nanoseconds', 'ns', 'minutes', 'hours', 'days', 'kb', 'kilobytes', 'mb', 'megabytes', 'gb', 'percent']);
  const durations = new Set(['duration', 'latency', 'time', 'lag', 'elapsed', 'delay', 'timeout', 'age', 'uptime']);
  const sizes = new Set(['size', 'memory', 'length']);
  const names = new Set<string>();
  for (const metric of metrics.registry.getMetricsAsArray() as unknown as Array<{ name: string; type: string; help: string; labelNames: string[] }>) {
    const { name, type } = metric;
    names.add(name);
    const segments = name.split('_');
    t.match(name, /^gateway_[a-z][a-z0-9]*(_[a-z0-9]+)*$/, `${name}: snake case, under gateway_`);
    if (type === 'counter') t.ok(name.endsWith('_total'), `${name}: a counter ends in _total`);
    else if (!legacyGauges.has(name)) t.notOk(name.endsWith('_total'), `${name}: only counters end in _total`);
    t.notOk(segments.some((s) => nonBaseUnits.has(s)), `${name}: base units only`);
    if (segments.some((s) => durations.has(s))) t.ok(segments.includes('seconds'), `${name}: a duration is in seconds`);
    if (segments.some((s) => sizes.has(s))) t.ok(segments.includes('bytes'), `${name}: a size is in bytes`);
    t.ok(metric.help.length > 0, `${name}: has help`);
    for (const label of metric.labelNames) t.match(label, /^[a-z][a-z0-9_]*$/, `${name}: label ${label} in snake case`);
  }
  for (const name of ['gateway_host_credentials_total', 'gateway_upstream_retries_total', 'gateway_upstream_errors_total', 'gateway_relengapi_token_renewals_total',
    'gateway_secret_operations_total', 'gateway_hawk_replays_refused_total', 'gateway_load_shed_total', 'gateway_database_errors_total', 'gateway_database_up', 'gateway_redis_up']) {
    t.ok(names.has(name), `${name} is registered`);
  }
});

t.test('the event counters are read from the tally: totals at each scrape, the label sets declared 0 before their first event', async (t) => {
  const metrics = createMetrics();
  const events = new GatewayEvents();
  eventMetrics(metrics, events);
  const scrape = async (prefix: string) => samplesOf(parseExposition(await metrics.registry.metrics()), prefix);
  t.same(await scrape('gateway_config_reloads_total'), {}, 'a labelled counter without declared label sets: nothing before its first event');
  t.same(await scrape('gateway_hawk_replays_refused_total'), { 'gateway_hawk_replays_refused_total{reason="replay"}': 0, 'gateway_hawk_replays_refused_total{reason="orphaned"}': 0 });
  events.count('hawk-replay-refused', 'replay');
  events.count('hawk-replay-refused', 'replay');
  events.count('hawk-replay-refused', 'orphaned');
  const counted = { 'gateway_hawk_replays_refused_total{reason="replay"}': 2, 'gateway_hawk_replays_refused_total{reason="orphaned"}': 1 };
  t.same(await scrape('gateway_hawk_replays_refused_total'), counted);
  t.same(await scrape('gateway_hawk_replays_refused_total'), counted, 'reading again counts nothing twice');
  t.equal((await metrics.registry.getSingleMetric('gateway_database_up')!.get()).values.length, 0, 'no database state before a database reports one');
  events.reportDatabase('secrets', false);
  t.same((await metrics.registry.getSingleMetric('gateway_database_up')!.get()).values.map((v) => [v.labels, v.value]), [[{ database: 'secrets' }, 0]]);
});
