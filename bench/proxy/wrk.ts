// Closed-loop throughput with Debian's wrk, `wrk -t1 -c32 -d5s`, as performance.md measured.
import { spawnSync } from 'node:child_process';
import { ensureDebianTool } from './processes.js';

export interface WrkResult {
  requestsPerSec: number;
  /** Requests completed in the run. */
  requests: number;
  /** wrk's closed-loop latency percentiles, ms. */
  p50: number;
  p99: number;
  /** Non-2xx/3xx answers plus socket errors: a row with any is not a valid measurement. */
  errors: number;
}

function ms(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!match) return NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

export function wrkVersion(): string {
  const out = spawnSync(ensureDebianTool('wrk', 'wrk'), ['-v'], { encoding: 'utf8' });
  return /wrk [^\s]+/.exec(out.stdout + out.stderr)?.[0] ?? 'wrk';
}

/** `script`: a wrk Lua script (signed headers, say). */
export function runWrk(url: string, seconds = 5, script?: string): WrkResult {
  const binary = ensureDebianTool('wrk', 'wrk');
  const run = spawnSync(binary, ['-t1', '-c32', `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : []), url], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const out = run.stdout ?? '';
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (run.status !== 0 || !rps) throw new Error(`wrk failed (${run.status ?? run.signal}): ${out}${run.stderr}`);
  const percentile = (p: string) => ms(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrorCount = socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  return { requestsPerSec: Number(rps[1]), requests, p50: percentile('50'), p99: percentile('99'), errors: non2xx + socketErrorCount };
}
