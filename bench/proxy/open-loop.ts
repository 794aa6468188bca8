/**
 * Open-loop load, its own process (wrk2 is not in Debian): requests are due on a fixed
 * schedule whatever the server does, and each latency is timed from when the request was due,
 * so a stalled server is charged for the requests it held up (no coordinated omission).
 * Usage: open-loop.ts <url> <rate/s> <warmup s> <measure s>. Prints JSON: p50/p99/max in ms.
 */
import { Pool } from 'undici';

const [url, rateArg, warmupArg, measureArg] = process.argv.slice(2);
const target = new URL(url!);
const rate = Number(rateArg);
const warmupMs = Number(warmupArg) * 1000;
const measureMs = Number(measureArg) * 1000;
const pool = new Pool(target.origin, { connections: 64, pipelining: 1 });
const path = target.pathname + target.search;

const latencies: number[] = [];
let errors = 0;
let sent = 0;
let pending = 0;
const start = performance.now();
const endAt = start + warmupMs + measureMs;
const intervalMs = 1000 / rate;

function send(due: number): void {
  sent++;
  pending++;
  pool.request({ method: 'GET', path }).then(
    async ({ statusCode, body }) => {
      await body.dump();
      if (statusCode !== 200) errors++;
      else if (due >= start + warmupMs) latencies.push(performance.now() - due);
    },
    () => { errors++; },
  ).finally(() => { pending--; });
}

// Timers fire about every millisecond; each tick sends every request that has fallen due.
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = performance.now();
    while (sent * intervalMs + start <= Math.min(now, endAt)) send(start + sent * intervalMs);
    if (now >= endAt) return resolve();
    setTimeout(tick, 1);
  };
  tick();
});
// Let the last requests finish, bounded.
const settleBy = performance.now() + 5000;
while (pending > 0 && performance.now() < settleBy) {
  await new Promise((r) => setTimeout(r, 10));
}
await pool.close();
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
process.stdout.write(JSON.stringify({ sent, measured: latencies.length, errors, p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? NaN }) + '\n');
