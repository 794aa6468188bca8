/**
 * Replicas benchmark (issue 16): three gateway replicas behind nginx against one replica alone,
 * and nginx in front of ping (the balancer's own cost), side by side in one run. Every replica is
 * a `taskcluster-gateway` process (secrets plugin, local auth) on one PostgreSQL schema and one
 * Redis (the shared nonce cache), logging at info as deployed; nginx is Debian's, round-robin over
 * a keep-alive pool. `wrk -t1 -c32 -d5s`, interleaved rounds, median per row; signed GETs replay
 * headers signed beforehand, each used once. CPU per request is read from /proc for each process
 * (the replicas, nginx, Redis) over each run. Writes bench/results/replicas.md; exits 1 when any
 * answer was not 200.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import taskcluster from 'taskcluster-client';
import { generateKeyFile } from '../src/plugins/secrets/store/index.js';
import { machineFacts, priorityFact, raisePriority, waitForQuietMachine } from './proxy/machine.js';
import { startNginx, type Nginx } from './proxy/nginx.js';
import { benchDir, cpuMicros, freePort, startListeningProcess, stop, type Service } from './proxy/processes.js';
import { median } from './proxy/report.js';
import { signedGetScript } from './proxy/signed-script.js';
import { runWrk, wrkVersion, type WrkResult } from './proxy/wrk.js';

const SECONDS = 5;
const ROUNDS = 3;
const POSTGRES_URL = process.env.GATEWAY_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = 'redis://127.0.0.1:6379';
const SECRET_NAME = 'project/bench/db-password';
const SECRET_PATH = `/api/secrets/v1/secret/${encodeURIComponent(SECRET_NAME)}`;
const PING_PATH = '/api/secrets/v1/ping';
const reader = { clientId: 'bench/reader', accessToken: 'b'.repeat(44), scopes: ['secrets:get:project/bench/*'] };
const writer = { clientId: 'bench/writer', accessToken: 'w'.repeat(44), scopes: ['secrets:set:project/bench/*'] };

type Row = 'ping, one replica' | 'ping, nginx → one replica' | 'signed GET, one replica' | 'signed GET, nginx → three replicas';
interface Run extends WrkResult {
  /** CPU µs per request: the replicas that served, nginx, Redis. */
  gatewayCpu: number;
  nginxCpu: number;
  redisCpu: number;
}

/** Redis's own process, for its CPU (it runs as the machine's service). */
function redisPid(): number {
  const info = spawnSync('redis-cli', ['-h', '127.0.0.1', 'info', 'server'], { encoding: 'utf8' }).stdout;
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  if (!pid) throw new Error('Redis at 127.0.0.1:6379 did not say its process id');
  return pid;
}

async function startReplica(dir: string, schema: string, prefix: string, index: number): Promise<Service> {
  const port = await freePort();
  const database = new URL(POSTGRES_URL);
  database.searchParams.set('schema', schema);
  return startListeningProcess(`replica ${index}`, process.execPath, [
    '--import', 'tsx', join(benchDir, '..', '..', 'src', 'cli', 'gateway.ts'),
    '--plugins', 'secrets', '--ip-address', '127.0.0.1', '--port', String(port),
    '--secrets-database', database.toString(), '--secrets-keys', join(dir, 'keys.json'), '--auth-clients', join(dir, 'clients.json'),
    '--redis-url', REDIS_URL, '--redis-key-prefix', prefix, '--log-level', 'info',
  ], port, { PATH: process.env.PATH, HOME: process.env.HOME });
}

/** One wrk run at `port`, with the CPU each process spent over it. */
function measure(port: number, path: string, replicas: Service[], nginx: Nginx | undefined, script?: string): Run {
  const pids = { gateways: replicas.map((r) => r.child.pid!), nginx: nginx?.child.pid, redis: redisPid() };
  const cpu = () => ({
    gateways: pids.gateways.reduce((sum, pid) => sum + cpuMicros(pid), 0),
    nginx: pids.nginx ? cpuMicros(pids.nginx) : 0,
    redis: cpuMicros(pids.redis),
  });
  const before = cpu();
  const result = runWrk(`http://127.0.0.1:${port}${path}`, SECONDS, script);
  const after = cpu();
  const per = (key: keyof typeof before) => (after[key] - before[key]) / result.requests;
  return { ...result, gatewayCpu: per('gateways'), nginxCpu: per('nginx'), redisCpu: per('redis') };
}

async function main(): Promise<void> {
  const restorePriority = raisePriority();
  const dir = mkdtempSync(join(tmpdir(), 'bench-replicas-'));
  const schema = `bench_replicas_${randomBytes(4).toString('hex')}`;
  const prefix = `bench-replicas:${randomBytes(4).toString('hex')}:`;
  generateKeyFile(join(dir, 'keys.json'));
  writeFileSync(join(dir, 'clients.json'), JSON.stringify({ clients: [reader, writer], roles: [] }));
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  const services: Array<Service | Nginx> = [];
  const rounds: Array<Record<Row, Run>> = [];
  let busy = 0;
  let nginxVersion = '';
  try {
    const replicas: Service[] = [];
    // one after the other: the first migrates the schema
    for (let i = 0; i < 3; i++) replicas.push(await startReplica(dir, schema, prefix, i));
    services.push(...replicas);
    const [alone] = replicas as [Service];
    const nginxOne = await startNginx(alone.port, { fixedAuthorization: false });
    const nginxThree = await startNginx(replicas.map((r) => r.port), { fixedAuthorization: false });
    services.push(nginxOne, nginxThree);
    nginxVersion = nginxOne.version;
    const expires = taskcluster.fromNow('1 day');
    await new taskcluster.Secrets({ rootUrl: `http://127.0.0.1:${alone.port}`, credentials: writer, retries: 0 })
      .set(SECRET_NAME, { secret: { username: 'bench', password: 'x'.repeat(32), host: 'db.example.com', port: 5432 }, expires });
    busy = await waitForQuietMachine(0.25, 120_000);
    // warm-up: JIT, pools, nginx's upstream connections
    const warm = measure(nginxOne.port, PING_PATH, [alone], nginxOne);
    for (const replica of replicas) runWrk(`http://127.0.0.1:${replica.port}${PING_PATH}`, 1);
    for (let round = 1; round <= ROUNDS; round++) {
      // enough distinct headers for a run at ping's rate, with room to spare (a replayed one would be a 401)
      const count = Math.ceil(warm.requestsPerSec * SECONDS * 1.5);
      const signedAlone = signedGetScript(dir, `alone-${round}`, reader, { host: '127.0.0.1', port: alone.port, path: SECRET_PATH }, count);
      const signedThree = signedGetScript(dir, `three-${round}`, reader, { host: '127.0.0.1', port: nginxThree.port, path: SECRET_PATH }, count);
      const runs = {
        'ping, one replica': measure(alone.port, PING_PATH, [alone], undefined),
        'ping, nginx → one replica': measure(nginxOne.port, PING_PATH, [alone], nginxOne),
        'signed GET, one replica': measure(alone.port, SECRET_PATH, [alone], undefined, signedAlone),
        'signed GET, nginx → three replicas': measure(nginxThree.port, SECRET_PATH, replicas, nginxThree, signedThree),
      } satisfies Record<Row, Run>;
      rounds.push(runs);
      console.log(`round ${round}: ${Object.entries(runs).map(([row, r]) => `${row} ${r.requestsPerSec.toFixed(0)}/s`).join(', ')}`);
    }
  } finally {
    for (const service of services.reverse()) await ('close' in service ? service.close() : stop(service)).catch(() => {});
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
    restorePriority();
  }
  const rows = Object.keys(rounds[0]!) as Row[];
  const med = (row: Row, key: keyof Run) => median(rounds.map((r) => r[row][key] as number));
  const errors = rounds.reduce((sum, r) => sum + rows.reduce((s, row) => s + r[row].errors, 0), 0);
  const fmt = (n: number, digits = 0) => n.toFixed(digits);
  const ratio = (a: Row, b: Row) => median(rounds.map((r) => r[a].requestsPerSec / r[b].requestsPerSec));
  const facts = machineFacts({ wrk: wrkVersion(), nginx: nginxVersion, priority: priorityFact(), 'CPU busy before the runs': `${fmt(busy * 100)}%` });
  const report = [
    '# Replicas behind nginx',
    '',
    `Measured by \`npm run bench replicas\` (bench/replicas.bench.ts) on ${new Date().toISOString()}: ${ROUNDS} interleaved rounds`,
    `of ${SECONDS} s each, \`wrk -t1 -c32\` keep-alive, median per row. Each replica is a \`taskcluster-gateway\` process`,
    '(secrets plugin, local auth, logging at info as deployed) on one PostgreSQL schema, sharing its Hawk nonce cache',
    'through Redis; nginx is Debian\'s, 1 worker, round-robin over a keep-alive pool. Signed GETs carry a fresh header',
    'each (signed beforehand, every nonce used once). CPU µs per request: user + system time from /proc of the replicas',
    'that served, of nginx, and of Redis, over each run, divided by the requests wrk completed (PostgreSQL\'s backends',
    'not counted).',
    '',
    '| row | req/s | vs one replica | replicas CPU µs/req | nginx CPU µs/req | Redis CPU µs/req | p50 / p99 ms |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((row) => {
      const alone: Row = row.startsWith('ping') ? 'ping, one replica' : 'signed GET, one replica';
      return `| ${row} | ${fmt(med(row, 'requestsPerSec'))} | ${fmt(ratio(row, alone), 2)} | ${fmt(med(row, 'gatewayCpu'), 1)} | ${fmt(med(row, 'nginxCpu'), 1)} | ${fmt(med(row, 'redisCpu'), 1)} | ${fmt(med(row, 'p50'), 2)} / ${fmt(med(row, 'p99'), 2)} |`;
    }),
    '',
    `Every answer 200: ${errors === 0 ? 'yes' : `**no, ${errors} non-2xx answers or socket errors**`}.`,
    ...(busy >= 0.25 ? ['', '**The machine was busy with other work before the runs (see Machine): req/s and p99 move with it; CPU per request is the steadier figure.**'] : []),
    '',
    `On this machine (${facts.nproc} cores, shared with wrk, nginx, Redis and PostgreSQL) three replicas cannot run`,
    'three times as fast as one: the row shows what the balancer and the shared state cost, not how far replicas scale.',
    'nginx in front of ping is the balancer\'s own cost: its CPU per request, and the ratio to ping served directly.',
    '',
    '## Machine',
    '',
    ...Object.entries(facts).map(([key, value]) => `- ${key}: ${value}`),
    '',
  ].join('\n');
  mkdirSync(join(benchDir, '..', 'results'), { recursive: true });
  writeFileSync(join(benchDir, '..', 'results', 'replicas.md'), report);
  console.log(report);
  process.exit(errors === 0 ? 0 : 1);
}

await main();
