/**
 * The machine the figures were taken on. The working tree is shared: other people's builds
 * and test runs take CPU from every process here, so the bench waits (bounded) for a quiet
 * moment and reports how busy the machine was, to read the figures by.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';

function cpuTimes(): { idle: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { idle: fields[3]! + fields[4]!, total: fields.reduce((a, b) => a + b, 0) };
}

/** Fraction of all CPUs busy over the next `ms`. */
export async function cpuBusy(ms = 1000): Promise<number> {
  const before = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const after = cpuTimes();
  return 1 - (after.idle - before.idle) / Math.max(1, after.total - before.total);
}

/** Waits until less than `threshold` of the CPUs are busy, at most `maxWaitMs`; returns the last reading. */
export async function waitForQuietMachine(threshold: number, maxWaitMs: number): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  let busy = await cpuBusy();
  while (busy >= threshold && Date.now() < deadline) {
    console.log(`machine ${(busy * 100).toFixed(0)}% busy with other work; waiting for < ${(threshold * 100).toFixed(0)}%`);
    busy = await cpuBusy(2000);
  }
  return busy;
}

export function machineFacts(extra: Record<string, string>): Record<string, string> {
  const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' }).stdout.trim();
  return {
    nproc: sh('nproc'),
    cpu: cpus()[0]?.model ?? 'unknown',
    kernel: sh('uname -r'),
    node: process.version,
    ...extra,
    'load average (1 min) at the end': loadavg()[0]!.toFixed(2),
  };
}
