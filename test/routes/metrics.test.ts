// Request metrics: every answer counted by listener, method and status, and timed, exactly once.
import t from 'tap';
import Fastify from 'fastify';
import { createMetrics, requestMetrics } from '../../src/routes/metrics.js';

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
