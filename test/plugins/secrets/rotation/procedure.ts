/**
 * The README's rotation procedure, run while gateways serve read/write traffic: append k2 →
 * gateways reload → rotate-keys (refused until every gateway encrypts with k2) → remove k1 →
 * gateways reload; then every acknowledged write is read back, with k2 alone.
 */
import type { Test } from 'tap';
import taskcluster from 'taskcluster-client';
import { rotateKeys } from '../../../../src/cli/secrets-admin.js';
import { generateKey, openSecretStore, type EncryptionKey, type KeyedSecretStore } from '../../../../src/plugins/secrets/store/index.js';
import { clients } from '../gateway.js';
import { adminSettings, eventually, startGateway, startTraffic, writeKeysFile, type RunningGateway } from './harness.js';

export const k1: EncryptionKey = { ...generateKey(), id: 'k1' };
export const k2: EncryptionKey = { ...generateKey(), id: 'k2' };

export interface Deployment {
  dir: string;
  database: string;
  /** One keys file per gateway (PostgreSQL replicas on their hosts), or one they share (SQLite). */
  keysFiles: string[];
  /**
   * For gateways that do not watch their keys file: what SIGHUP does (gateway.reload()). Then
   * the procedure also holds the last gateway back once, to see rotate-keys refuse.
   */
  reload?(gateways: RunningGateway[]): Promise<void>;
}

export async function startGateways(t: Test, deployment: Deployment, count: number): Promise<RunningGateway[]> {
  for (const file of deployment.keysFiles) writeKeysFile(file, [k1]);
  const gateways: RunningGateway[] = [];
  for (let i = 0; i < count; i += 1) {
    const keysFile = deployment.keysFiles[i % deployment.keysFiles.length]!;
    gateways.push(await startGateway(t, { dir: deployment.dir, database: deployment.database, keysFile }));
  }
  return gateways;
}

async function adminStore(t: Test, database: string): Promise<KeyedSecretStore> {
  const store = await openSecretStore(database, { keys: [k1, k2] });
  t.teardown(() => store.close());
  return store;
}

/** True once every gateway publishes exactly `ids` as its ring. */
const everyGatewayHolds = (admin: KeyedSecretStore, count: number, ids: string[]) => async () => {
  const { gateways } = await admin.keyStatus();
  return gateways.length === count && gateways.every((g) => JSON.stringify(g.keyIds) === JSON.stringify(ids));
};

export async function rotateUnderTraffic(t: Test, deployment: Deployment, gateways: RunningGateway[]): Promise<void> {
  const admin = await adminStore(t, deployment.database);
  const settings = adminSettings(deployment.dir, deployment.database, deployment.keysFiles[0]!);
  const traffic = startTraffic(gateways);
  t.teardown(() => traffic.stop());
  await traffic.moreWrites(30);

  for (const file of deployment.keysFiles) writeKeysFile(file, [k1, k2]);
  if (deployment.reload) {
    await deployment.reload(gateways.slice(0, -1));
    await eventually('all gateways but the last hold k2', async () => (await admin.keyStatus()).gateways.filter((g) => g.keyIds.includes('k2')).length === gateways.length - 1);
    await t.rejects(rotateKeys(settings), { name: 'RotationRefused', message: /gateway \S+ lacks key id "k2" \(it holds "k1"\): update its keys file, or send it SIGHUP/ },
      'rotate-keys refused while a live gateway lacks the newest key');
    t.same((await admin.keyStatus()).usage.map((u) => u.keyId), ['k1'], 'so nothing was rewritten, and no gateway writes k2 yet');
    await deployment.reload(gateways.slice(-1));
  }
  await eventually('every gateway holds k1 and k2', everyGatewayHolds(admin, gateways.length, ['k1', 'k2']));
  await traffic.moreWrites(30);

  let refused = 0;
  await eventually('rotate-keys runs once every gateway encrypts with k2', async () => {
    try {
      await rotateKeys(settings);
      return true;
    } catch (err) {
      if ((err as Error).name !== 'RotationRefused') throw err;
      t.match((err as Error).message, /still encrypts with "k1" \(it switches once every live gateway holds "k2"/, 'refused only while a heartbeat is due');
      refused += 1;
      return false;
    }
  });
  t.comment(`rotate-keys refused ${refused} time(s) before every gateway encrypted with k2`);
  await traffic.moreWrites(30);

  for (const file of deployment.keysFiles) writeKeysFile(file, [k2]);
  await deployment.reload?.(gateways);
  await eventually('every gateway holds k2 alone', everyGatewayHolds(admin, gateways.length, ['k2']));
  await traffic.moreWrites(30);
  await traffic.stop();

  t.same(traffic.failures, [], 'no request failed, no read returned another value, during the whole rotation');
  const acknowledged = [...traffic.acknowledged];
  t.ok(traffic.writes() >= 120, `${traffic.writes()} acknowledged writes to ${acknowledged.length} names`);
  t.same((await admin.keyStatus()).usage, [{ keyId: 'k2', rows: acknowledged.length }], 'every row under k2');
  const k2Only = await openSecretStore(deployment.database, { keys: [k2] });
  t.teardown(() => k2Only.close());
  const overHttp = gateways.map((g) => new taskcluster.Secrets({ rootUrl: g.rootUrl, credentials: clients.root, retries: 0 }));
  const wrong: string[] = [];
  for (const [index, [name, value]] of acknowledged.entries()) {
    const stored = await k2Only.get(name);
    if (JSON.stringify(stored?.secret) !== JSON.stringify(value)) wrong.push(`${name} in the store: ${JSON.stringify(stored?.secret)}`);
    const served = await overHttp[index % overHttp.length]!.get(name).catch((err: Error) => ({ secret: err.message }));
    if (JSON.stringify(served.secret) !== JSON.stringify(value)) wrong.push(`${name} from gateway ${index % overHttp.length}: ${JSON.stringify(served.secret)}`);
  }
  t.same(wrong, [], 'every acknowledged write reads back, from the store with k2 alone and from every gateway');
  for (const [i, g] of gateways.entries()) {
    t.same(g.logs().filter((l) => (l.level as number) >= 50).map((l) => l.msg), [], `gateway ${i} logged no error`);
  }
}
