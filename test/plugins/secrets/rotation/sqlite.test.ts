// Two gateways on one SQLite file, sharing one keys file they watch: rotated while serving.
import { join } from 'node:path';
import t from 'tap';
import { rotateUnderTraffic, startGateways, type Deployment } from './procedure.js';

t.test('sqlite: two gateways on one file keep every acknowledged write through a key rotation (the file watched)', async (t) => {
  const dir = t.testdir({});
  const deployment: Deployment = {
    dir,
    database: `sqlite:${join(dir, 'secrets.db')}`,
    keysFiles: [join(dir, 'keys.json')],
  };
  const gateways = await startGateways(t, deployment, 2);
  await rotateUnderTraffic(t, deployment, gateways);
});
