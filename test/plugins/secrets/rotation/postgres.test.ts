// Three replicas on one PostgreSQL schema, each with its own keys file (as on separate hosts),
// reloaded as SIGHUP reloads them: rotated while serving. Each file is a symlink to a file in
// another directory, so the replicas' watchers (which watch the link's directory) see no change
// and only the reload does it, one replica at a time.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { postgresBackend, requirePostgres } from '../store/postgres-backend.js';
import { rotateUnderTraffic, startGateways, type Deployment } from './procedure.js';

await requirePostgres();

t.test('postgres: three replicas keep every acknowledged write through a key rotation (reloaded by SIGHUP\'s reload)', async (t) => {
  const dir = t.testdir({});
  const db = await postgresBackend.fresh(t);
  const deployment: Deployment = {
    dir,
    database: `${db.url}?schema=${db.options.schema}`,
    keysFiles: [0, 1, 2].map((i) => {
      mkdirSync(join(dir, `replica-${i}`));
      symlinkSync(join(dir, `keys-${i}.json`), join(dir, `replica-${i}`, 'keys.json'));
      return join(dir, `replica-${i}`, 'keys.json');
    }),
    reload: async (gateways) => {
      for (const { gateway } of gateways) await gateway.reload!();
    },
  };
  const gateways = await startGateways(t, deployment, 3);
  await rotateUnderTraffic(t, deployment, gateways);
});
