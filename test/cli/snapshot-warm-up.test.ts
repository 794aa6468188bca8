// The single executable's warm-up (src/cli/snapshot-warm-up.ts) outside a snapshot build: it
// builds and closes the gateway without node:http, without the build's environment, and leaves
// no handle, timer or server behind (a start-up snapshot cannot hold one; test/deploy/sea.test.ts
// runs the real build).
import t from 'tap';
import { taskclusterProxyProgram } from '../../src/cli/programs/taskcluster-proxy.js';
import { warmUp } from '../../src/cli/snapshot-warm-up.js';

t.test('the warm-up builds and closes the gateway, and leaves nothing running', async (t) => {
  const before = process.getActiveResourcesInfo();
  const saved = { ...process.env };
  // the build's environment is not read: settings there would fail the warm-up's configuration
  process.env.PORT = 'not a port';
  process.env.GATEWAY_ADMIN_PORT = 'not a port';
  t.teardown(() => {
    process.env = saved;
  });
  await warmUp(taskclusterProxyProgram);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(process.getActiveResourcesInfo().filter((r) => r !== 'Immediate'), before.filter((r) => r !== 'Immediate'), 'no handle, timer or server left');
});
