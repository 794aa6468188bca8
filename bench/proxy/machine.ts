/**
 * The machine the figures were taken on. The working tree is shared: other people's builds
 * and test runs take CPU from every process here, so the bench waits (bounded) for a quiet
 * moment and reports how busy the machine was, to read the figures by.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, getPriority, loadavg, setPriority } from 'node:os';

function cpuTimes(): { idle: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { idle: fields[3]! + fields[4]!, total: fields.reduce((a, b) => a + b, 0) };
}

/**
 * Nice -10 for the bench and every process it starts (servers, nginx, wrk, clients), so other
 * people's test runs on the shared machine take less from the measurement. With autogroup
 * scheduling (the kernel default) nice only ranks processes within a session, so the
 * session's own autogroup is raised too, and put back by the returned function. Needs root;
 * without it the bench runs at normal priority and the report's facts say so.
 */
export function raisePriority(): () => void {
  const AUTOGROUP = '/proc/self/autogroup';
  let autogroupRaised = false;
  try {
    setPriority(-10);
    writeFileSync(AUTOGROUP, '-10');
    autogroupRaised = true;
  } catch (err) {
    console.log(`priority not (fully) raised: ${(err as Error).message}`);
  }
  return () => { if (autogroupRaised) writeFileSync(AUTOGROUP, '0'); };
}

/** `nice N` of this process, and of its autogroup when the kernel has them. */
export function priorityFact(): string {
  let autogroup = '';
  try {
    autogroup = `, autogroup ${readFileSync('/proc/self/autogroup', 'utf8').trim().replace(/^\S+ /, '')}`;
  } catch {
    // no autogroup scheduling here
  }
  return `nice ${getPriority()}${autogroup}`;
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
