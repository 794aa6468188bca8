/**
 * One secrets server to profile from outside (bench/results/secrets.md, "Where a signed read's
 * time goes"): the bench's SQLite or PostgreSQL target alone in this process, built as the bench
 * builds it, with a wrk Lua script of signed headers written beside it. Prints one line
 * `READY <pid> <port> <script>` and serves until SIGTERM. Run it under `node --cpu-prof`,
 * `--trace-gc-nvp` or `strace -c -f`, and drive it with wrk:
 *
 *   node --import tsx bench/secrets/profile-target.ts sqlite [cache-entries]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { READ_CACHE_DEFAULTS, generateKey, openSecretStore } from '../../src/plugins/secrets/store/index.js';
import { POSTGRES_URL, signedScript, startTarget } from './targets.js';

const [kind = 'sqlite', entries = '0'] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'secrets-profile-'));
const keys = { keys: [generateKey()] };
const cache = { ...READ_CACHE_DEFAULTS, entries: Number(entries) };
const schema = `profile_${process.pid}`;
const store = kind === 'postgres'
  ? await openSecretStore(POSTGRES_URL, keys, { schema, cache })
  : await openSecretStore(`sqlite:${join(dir, 'secrets.db')}`, keys, { cache });
const target = await startTarget(kind, store);
console.log(`READY ${process.pid} ${target.port} ${signedScript(dir, target.port, 200_000)}`);
process.once('SIGTERM', () => {
  void (async () => {
    await target.app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  })();
});
