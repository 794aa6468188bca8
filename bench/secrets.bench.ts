/**
 * Secrets reads benchmark (performance.md, "Secrets reads"; issue 16): in one run, side by side,
 * each server in a process of its own (bench/secrets/server.ts) so its CPU per request is its
 * own: the unauthenticated `GET /api/secrets/v1/ping` (the framework's floor), the route floor
 * (the signed-GET route with caller and record constants), and Hawk-signed
 * `GET /api/secrets/v1/secret/<name>` on SQLite and on PostgreSQL, cold (read cache off) and hot
 * (read cache on), and the route floor with one constant made real at a time (the store's share,
 * Hawk's share); `wrk -t1 -c32 -d5s`, median of interleaved rounds. wrk cannot compute HMACs,
 * so each run replays a Lua table of distinct headers the server process signed beforehand with
 * core HawkSigner (every nonce used once: the nonce cache stays on). Writes
 * bench/results/secrets.md, with bench/secrets/where-time-goes.md (the profile) after the
 * figures; exits 1 when a target is missed or any answer was not 200.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { HawkSigner } from '../src/core/hawk.js';
import { machineFacts, waitForQuietMachine } from './proxy/machine.js';
import { cpuMicros, ensureDebianTool, repoRoot } from './proxy/processes.js';
import { SECRET_PATH, reader } from './secrets/targets.js';

const SECONDS = 5;
const ROUNDS = 5;
const CONNECTIONS = 32;
const TARGET_HOT_SQLITE_VS_FLOOR = 0.8;
const TARGET_HOT_PG_VS_HOT_SQLITE = 0.9;
const run = promisify(execFile);

interface Server {
  name: string;
  child: ChildProcess;
  port: number;
  /** A Lua script of `count` fresh signed headers for this server. */
  script(count: number): Promise<string>;
}

interface Measured {
  requestsPerSec: number;
  /** Non-2xx answers plus socket errors (wrk counts a request taking over 2 s as a timeout). */
  errors: number;
  detail: string;
  /** The server process's CPU (user + system, all its threads) per request served, µs. */
  cpuPerRequestUs: number;
}

/** One bench/secrets/server.ts process; its stdout lines are JSON answers, in order. */
async function startServer(name: string, args: string[]): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./secrets/server.ts', import.meta.url)), ...args],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const { value, done } = await lines.next();
    clearTimeout(timer);
    if (done) throw new Error(`${name}: the server exited (${child.exitCode})`);
    return JSON.parse(value as string) as { port?: number; script: string };
  };
  const { port } = await next();
  return {
    name,
    child,
    port: port!,
    async script(count) {
      child.stdin!.write(`script ${count}\n`);
      return (await next()).script;
    },
  };
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function wrk(server: Server, path: string, seconds: number, script?: string): Promise<Measured> {
  const args = [`-t1`, `-c${CONNECTIONS}`, `-d${seconds}s`, ...(script ? ['-s', script] : []), `http://127.0.0.1:${server.port}${path}`];
  const cpuBefore = cpuMicros(server.child.pid!);
  const { stdout } = await run(ensureDebianTool('wrk', 'wrk'), args, { timeout: (seconds + 60) * 1000, maxBuffer: 1 << 20 });
  const cpu = cpuMicros(server.child.pid!) - cpuBefore;
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const served = Number(/(\d+) requests in/.exec(stdout)?.[1]);
  if (!rps || !served) throw new Error(`wrk printed no rate: ${stdout}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    requestsPerSec: Number(rps[1]),
    errors: non2xx + (socket ? socket.slice(1).reduce((a, n) => a + Number(n), 0) : 0),
    detail: `non-2xx ${non2xx}${socket ? `, socket errors (connect, read, write, timeout) ${socket.slice(1).join(', ')}` : ''}`,
    cpuPerRequestUs: cpu / served,
  };
}

async function checkOnce(server: Server): Promise<void> {
  const url = `http://127.0.0.1:${server.port}${SECRET_PATH}`;
  const res = await fetch(url, { headers: { authorization: new HawkSigner(reader).headerForUrl('GET', url) } });
  const body = (await res.json()) as { secret?: { username?: string } };
  if (res.status !== 200 || body.secret?.username !== 'bench') throw new Error(`${server.name}: signed GET answered ${res.status} ${JSON.stringify(body)}`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const ROWS = [
  { key: 'ping', label: 'GET /api/secrets/v1/ping, unauthenticated (the framework\'s floor)' },
  { key: 'floor', label: 'route floor: the signed-GET route, caller and record constants' },
  { key: 'floorCaller', label: 'route floor, only the caller constant: SQLite store, cache on (the store\'s share)' },
  { key: 'floorRecord', label: 'route floor, only the record constant: Hawk verification and nonce cache (Hawk\'s share)' },
  { key: 'sqliteCold', label: 'Hawk-signed GET /secret/<name>, SQLite, cache off (cold)' },
  { key: 'sqliteHot', label: 'Hawk-signed GET /secret/<name>, SQLite, cache on (hot)' },
  { key: 'pgCold', label: 'Hawk-signed GET /secret/<name>, PostgreSQL, cache off (cold)' },
  { key: 'pgHot', label: 'Hawk-signed GET /secret/<name>, PostgreSQL, cache on (hot)' },
] as const;
type RowKey = (typeof ROWS)[number]['key'];

async function main(): Promise<void> {
  const started: Server[] = [];
  const start = async (name: string, ...args: string[]) => {
    const server = await startServer(name, args);
    started.push(server);
    return server;
  };
  const rounds: Array<Record<RowKey, Measured>> = [];
  let busy = 0;
  try {
    const servers = {
      floor: await start('route floor', 'floor', 'off', '1'),
      floorCaller: await start('route floor, caller constant', 'floor-caller', 'on', '1'),
      floorRecord: await start('route floor, record constant', 'floor-record', 'off', '1'),
      sqliteCold: await start('SQLite cold', 'sqlite', 'off', '1'),
      sqliteHot: await start('SQLite hot', 'sqlite', 'on', '1'),
      pgCold: await start('PostgreSQL cold', 'postgres', 'off', '1'),
      pgHot: await start('PostgreSQL hot', 'postgres', 'on', '1'),
    };
    for (const server of Object.values(servers)) await checkOnce(server);
    busy = await waitForQuietMachine(0.25, 120_000);
    // warm-up: JIT, pools, page cache, the caches
    const warm = await wrk(servers.sqliteCold, '/api/secrets/v1/ping', 1);
    for (const server of Object.values(servers)) await wrk(server, SECRET_PATH, 1, await server.script(Math.ceil(warm.requestsPerSec * 1.5)));
    for (let round = 1; round <= ROUNDS; round++) {
      const ping = await wrk(servers.sqliteCold, '/api/secrets/v1/ping', SECONDS);
      // enough distinct headers for a run at ping's rate, with room to spare (a replayed one would be a 401)
      const count = Math.ceil(ping.requestsPerSec * SECONDS * 1.5);
      const measured: Partial<Record<RowKey, Measured>> = { ping };
      for (const key of ['floor', 'floorCaller', 'floorRecord', 'sqliteCold', 'sqliteHot', 'pgCold', 'pgHot'] as const) {
        measured[key] = await wrk(servers[key], SECRET_PATH, SECONDS, await servers[key].script(count));
      }
      rounds.push(measured as Record<RowKey, Measured>);
      console.log(`round ${round}: ${ROWS.map(({ key }) => `${key} ${measured[key]!.requestsPerSec.toFixed(0)}/s (${measured[key]!.cpuPerRequestUs.toFixed(0)} µs CPU/req)`).join(', ')}`);
    }
  } finally {
    for (const server of started) await stopServer(server);
  }
  writeReport(rounds, busy);
}

function writeReport(rounds: Array<Record<RowKey, Measured>>, busy: number): void {
  const rate = (key: RowKey) => median(rounds.map((r) => r[key].requestsPerSec));
  const cpu = (key: RowKey) => median(rounds.map((r) => r[key].cpuPerRequestUs));
  // each round's ratio, then their median: load from other work drifts between rounds more than within one
  const ratio = (a: RowKey, b: RowKey) => median(rounds.map((r) => r[a].requestsPerSec / r[b].requestsPerSec));
  const cpuRatio = (a: RowKey, b: RowKey) => median(rounds.map((r) => r[b].cpuPerRequestUs / r[a].cpuPerRequestUs));
  const errors = rounds.reduce((sum, r) => sum + ROWS.reduce((s, { key }) => s + r[key].errors, 0), 0);
  const verdicts = [
    { what: 'hot signed GET on SQLite vs the route floor', ratio: ratio('sqliteHot', 'floor'), cpu: cpuRatio('sqliteHot', 'floor'), target: TARGET_HOT_SQLITE_VS_FLOOR },
    { what: 'hot signed GET on PostgreSQL vs hot on SQLite', ratio: ratio('pgHot', 'sqliteHot'), cpu: cpuRatio('pgHot', 'sqliteHot'), target: TARGET_HOT_PG_VS_HOT_SQLITE },
  ];
  const pass = errors === 0 && verdicts.every((v) => v.ratio >= v.target);
  const fmt = (n: number) => n.toFixed(0);
  const facts = machineFacts({ wrk: `wrk -t1 -c${CONNECTIONS} -d${SECONDS}s`, 'CPU busy before the runs': `${(busy * 100).toFixed(0)}%` });
  const header = (last: string[]) => [`| path | ${rounds.map((_, i) => `round ${i + 1}`).join(' | ')} | ${last.join(' | ')} |`, `|---|${rounds.map(() => '---|').join('')}${last.map(() => '---|').join('')}`];
  const report = [
    '# Secrets reads',
    '',
    `Measured by \`npm run bench secrets\` (bench/secrets.bench.ts) on ${new Date().toISOString()}: ${ROUNDS} interleaved rounds`,
    `of ${SECONDS} s each, \`wrk -t1 -c${CONNECTIONS}\` keep-alive, median per row. Each server is a process of its own`,
    '(bench/secrets/server.ts), built as the gateway builds a listener, logging at info to /dev/null as deployed (one',
    'redacted line per request, the audit record on the GET\'s line). Signed GETs carry a fresh Hawk header each (signed',
    'beforehand with core HawkSigner, replayed from a Lua table, every nonce used once, so the nonce cache is on). The',
    'secret is a 4-field JSON object, AES-256-GCM at rest. Cold: read cache off (every read: database, decryption, JSON).',
    'Hot: read cache on (`--secrets-cache-entries`, default 10000): one secret read over and over.',
    '',
    ...header(['median req/s', '÷ route floor']),
    ...ROWS.map(({ key, label }) => `| ${label} | ${rounds.map((r) => fmt(r[key].requestsPerSec)).join(' | ')} | ${fmt(rate(key))} | ${ratio(key, 'floor').toFixed(2)} |`),
    '',
    'Server CPU per request (user + system of the serving process, all its threads, µs, median): the same comparison',
    'read by cost instead of rate, which other work on this shared machine disturbs far less than req/s. `ratio` = the',
    'route floor\'s cost divided by the row\'s (the rate ratio the row would reach with the CPU to itself; PostgreSQL\'s',
    'own CPU not counted).',
    '',
    ...header(['median µs/req', 'ratio']),
    ...ROWS.map(({ key, label }) => `| ${label} | ${rounds.map((r) => fmt(r[key].cpuPerRequestUs)).join(' | ')} | ${fmt(cpu(key))} | ${cpuRatio(key, 'floor').toFixed(2)} |`),
    '',
    '| target (performance.md), on req/s: median of the rounds\' ratios | ratio | by CPU per request | target | verdict |',
    '|---|---|---|---|---|',
    ...verdicts.map((v) => `| ${v.what} | ${v.ratio.toFixed(2)} | ${v.cpu.toFixed(2)} | ≥ ${v.target} | ${v.ratio >= v.target ? 'met' : 'MISSED'} |`),
    `| every answer 200 (no non-2xx, no socket errors) | ${errors} errors | | 0 | ${errors === 0 ? 'met' : 'MISSED'} |`,
    ...rounds.flatMap((r, i) => ROWS.filter(({ key }) => r[key].errors > 0).map(({ key }) => `| (round ${i + 1}, ${key}: ${r[key].detail}) | | | | |`)),
    '',
    'For scale (performance.md): Vault\'s own benchmark tool shows KV v2 reads at about 8.4k/s in its documented',
    'example run (other machine, other client; not a ratio).',
    '',
    readFileSync(fileURLToPath(new URL('./secrets/where-time-goes.md', import.meta.url)), 'utf8').trimEnd(),
    '',
    '## Machine',
    '',
    ...Object.entries(facts).map(([k, v]) => `- ${k}: ${v}`),
    '',
  ].join('\n');
  writeFileSync(fileURLToPath(new URL('./results/secrets.md', import.meta.url)), report);
  console.log(report);
  if (!pass) process.exit(1);
}

await main();
