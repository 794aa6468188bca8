/**
 * One secrets server of the bench (bench/secrets.bench.ts) in a process of its own, so that its
 * CPU per request is its own: `sqlite`, `postgres` (a fresh schema, dropped at exit) or `floor`
 * (the route floor: caller and record constants), with the read cache on or off; `floor-caller`
 * (only the caller constant, the SQLite store real) and `floor-record` (only the record constant,
 * Hawk verification real) weigh the two apart. Prints
 * `{"port": N, "script": <path>}` once listening, the script a wrk Lua table of `headers` signed
 * headers; each line `script <count>` on stdin is answered `{"script": <path>}`, a new script of
 * fresh headers (a replayed one would be refused). Serves until SIGTERM. Also the target to
 * profile from outside (bench/results/secrets.md, "Where a signed read's time goes"), e.g. under
 * `node --cpu-prof`, `--trace-gc-nvp` or `strace -c -f`:
 *
 *   node --import tsx bench/secrets/server.ts sqlite off 200000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { READ_CACHE_DEFAULTS, generateKey, openSecretStore } from '../../src/plugins/secrets/store/index.js';
import { POSTGRES_URL, signedScript, startRouteFloor, startTarget } from './targets.js';

const [kind = 'sqlite', cacheState = 'off', headers = '200000'] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'secrets-bench-'));
const keys = { keys: [generateKey()] };
const cache = cacheState === 'on' ? { cache: READ_CACHE_DEFAULTS } : {};
const schema = `bench_${process.pid}`;
const store = kind === 'postgres'
  ? await openSecretStore(POSTGRES_URL, keys, { schema, ...cache })
  : await openSecretStore(`sqlite:${join(dir, 'secrets.db')}`, keys, cache);
const floors = { floor: 'caller and record', 'floor-caller': 'caller', 'floor-record': 'record' } as const;
const target = kind in floors ? await startRouteFloor(store, floors[kind as keyof typeof floors]) : await startTarget(kind, store);
let scripts = 0;
let last: string | undefined;
const script = (count: number) => {
  if (last) rmSync(last, { force: true });
  return (last = signedScript(dir, target.port, count, `-${++scripts}`));
};
console.log(JSON.stringify({ port: target.port, script: script(Number(headers)) }));
createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, count] = line.split(' ');
  if (command === 'script') console.log(JSON.stringify({ script: script(Number(count)) }));
});

process.once('SIGTERM', () => {
  void (async () => {
    await target.app.close();
    await store.close();
    if (kind === 'postgres') {
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  })();
});
