/**
 * Three gateway replicas as a deployment runs them (issue 16): separate processes of the
 * `taskcluster-gateway` bin, serving the secrets API (local auth) and host-secrets on one
 * listener, on one PostgreSQL database (a schema of this test's, dropped at the end) and one
 * Redis (a key prefix of this test's), behind Debian's nginx, all on 127.0.0.1. Redis is reached
 * through a relay the test controls; so is PostgreSQL, one relay per replica, so that a check can
 * cut one replica's database connections (its notification listener among them) and no other's.
 * host-secrets proves hosts against a DNS server of the test's.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Test } from 'tap';
import type { ChildProcess } from 'node:child_process';
import type { Redis } from 'ioredis';
import { loadOrGenerateKeyFile } from '../../src/plugins/secrets/store/index.js';
import { startBalancer, type Balancer } from '../helpers/nginx.js';
import { REDIS, redisForTest } from '../helpers/redis.js';
import { startBin, waitForOutput } from '../helpers/spawn-bin.js';
import { startTcpRelay, type TcpRelay } from '../helpers/tcp-relay.js';
import { baseEnv } from '../plugins/host-secrets/harness.js';
import { ptrName, startZoneServer } from '../plugins/host-secrets/zone-server.js';
import { clientsFile } from '../plugins/secrets/gateway.js';
import { postgresUrl } from '../plugins/secrets/store/postgres-backend.js';

/** The address a fleet host asks host-secrets from, and the name DNS gives it. */
export const HOST_ADDRESS = '127.0.0.5';
const HOST_NAME = 'replica-test.example.com';

/**
 * The replica that waits 60 s for its database, not 5: a request held there (its database
 * black-holed) waits until the test is done with it (the SIGKILL check), a time a loaded machine
 * could take past 5 s. The others answer a database outage as a deployment's would.
 */
export const HOLDING = 2;
const HOLDS = ['--secrets-database-timeout-ms', '60000'];

export interface Replica {
  /** `http://127.0.0.1:<port>`: the replica itself, past the balancer. */
  url: string;
  child: ChildProcess;
  /** Its PostgreSQL connections, through a relay of their own. */
  database: TcpRelay;
  /** Everything it has written (one JSON log line each). */
  output(): string;
}

export interface Cluster {
  balancer: Balancer;
  replicas: Replica[];
  /** Between every replica and Redis. */
  redis: TcpRelay;
  /** A client of the test's own on the replicas' keys in Redis (their prefix), for checks that read them. */
  keys: Redis;
  /** The schema the replicas share, for checks that look at the rows. */
  schema: string;
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

async function startReplica(t: Test, args: string[], env: NodeJS.ProcessEnv, database: TcpRelay, schema: string): Promise<Replica> {
  const url = new URL(postgresUrl);
  url.port = String(database.port);
  url.searchParams.set('schema', schema);
  const bin = startBin('gateway', [...args, '--secrets-database', url.toString()], env);
  t.teardown(async () => {
    if (bin.child.exitCode === null && bin.child.signalCode === null) bin.child.kill('SIGKILL');
    await bin.result;
  });
  const listening = await waitForOutput(bin.output, (text) => /"main":"http:\/\/127\.0\.0\.1:\d+"/.test(text) || bin.child.exitCode !== null, 60_000);
  const port = /"main":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(listening)?.[1];
  if (!port) throw new Error(`replica did not start:\n${listening}`);
  return { url: `http://127.0.0.1:${port}`, child: bin.child, database, output: bin.output };
}

/** The cluster, torn down when the test ends; `nginx` is the balancer's binary. */
export async function startCluster(t: Test, nginx: string): Promise<Cluster> {
  const dir = t.testdir();
  loadOrGenerateKeyFile(join(dir, 'keys.json'));
  writeFileSync(join(dir, 'clients.json'), JSON.stringify(clientsFile));
  const schema = `replicas_${process.pid}_${randomBytes(4).toString('hex')}`;
  t.teardown(() => dropSchema(schema));
  const zone = await startZoneServer({ PTR: { [ptrName(HOST_ADDRESS)]: [HOST_NAME] }, A: { [HOST_NAME]: [HOST_ADDRESS] } });
  t.teardown(() => zone.close());
  const { prefix, redis: keys } = redisForTest(t);
  const redis = await startTcpRelay(t, REDIS);
  const pgTarget = new URL(postgresUrl);
  const args = [
    '--plugins', 'secrets,host-secrets', '--port', '0', '--ip-address', '127.0.0.1',
    '--secrets-keys', join(dir, 'keys.json'), '--auth-clients', join(dir, 'clients.json'),
    '--redis-url', `redis://127.0.0.1:${redis.port}`, '--redis-key-prefix', prefix,
    // a loaded test machine can hold a command past the default 250 ms: slow is 1 s here
    '--redis-timeout-ms', '1000',
    // nginx connects from here: its X-Forwarded-For names the client, no one else's is believed
    '--trusted-proxies', '127.0.0.1/32',
    '--dns-servers', zone.server,
  ];
  const env = { ...baseEnv, GATEWAY_LOG_LEVEL: 'info' };
  const replicas: Replica[] = [];
  // one after the other: the first migrates the schema, and three at once would starve a small machine
  for (let i = 0; i < 3; i++) {
    const database = await startTcpRelay(t, { host: pgTarget.hostname, port: Number(pgTarget.port || 5432) });
    replicas.push(await startReplica(t, i === HOLDING ? [...args, ...HOLDS] : args, env, database, schema));
  }
  const balancer = await startBalancer(t, nginx, replicas.map((r) => Number(new URL(r.url).port)), join(dir, 'nginx'));
  return { balancer, replicas, redis, keys, schema };
}
