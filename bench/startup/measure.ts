/**
 * One start of a server as its user starts it: exec, then GET /__lbheartbeat__ every 2 ms until
 * it answers 200 (the time from just before the spawn), then the resident set once idle. Also the
 * CPU time the server had used by its first answer: on a machine shared with other work, the
 * wall-clock start stretches with the load, its CPU time much less.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';

/** How long a started server sits idle before its resident set is read. */
export const IDLE_MS = 1000;
const POLL_MS = 2;
const START_TIMEOUT_MS = 30_000;

export interface Start {
  /** exec → first 200, ms */
  ms: number;
  /** CPU time (every thread, on CPU) by the first 200, ms */
  cpuMs: number;
  /** VmRSS once idle, MB */
  rssMb: number;
  /** Its anonymous part (RssAnon): what the process allocated, without the pages of its binary, MB */
  anonMb: number;
}

/** A way to start one server listening on `port` on 127.0.0.1. */
export interface Launcher {
  command: string;
  args(port: number): string[];
  env?: NodeJS.ProcessEnv;
  /** The pid whose resident set counts (default: the spawned process). */
  serverPid?(port: number): number;
  /** Stops what the spawn left behind (default: SIGKILL to the spawned process). */
  cleanup?(port: number): void;
}

/** Status of one GET on a fresh connection, 0 when nothing answers. */
export function status(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function memoryMb(pid: number): { rssMb: number; anonMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`${name}:\\s+(\\d+) kB`).exec(status);
    if (!match) throw new Error(`no ${name} for ${pid}`);
    return Number(match[1]) / 1024;
  };
  return { rssMb: field('VmRSS'), anonMb: field('RssAnon') };
}

/** On-CPU time of all of a process's threads so far (schedstat, ns precision), ms. */
function cpuMs(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]), 0) / 1e6;
}

export async function startOnce(launcher: Launcher, port: number): Promise<Start> {
  let stderr = '';
  let exited: string | undefined;
  const t0 = performance.now();
  const child = spawn(launcher.command, launcher.args(port), { env: launcher.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-2000); });
  const gone = new Promise<void>((resolve) => child.once('exit', (code, signal) => { exited = String(code ?? signal); resolve(); }));
  try {
    while ((await status(port, '/__lbheartbeat__')) !== 200) {
      if (exited !== undefined && launcher.serverPid === undefined) throw new Error(`${launcher.command} exited (${exited}) before answering: ${stderr}`);
      if (performance.now() - t0 > START_TIMEOUT_MS) throw new Error(`${launcher.command} did not answer in ${START_TIMEOUT_MS / 1000} s: ${stderr}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const ms = performance.now() - t0;
    const pid = launcher.serverPid?.(port) ?? child.pid!;
    const cpu = cpuMs(pid);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return { ms, cpuMs: cpu, ...memoryMb(pid) };
  } finally {
    if (launcher.cleanup) launcher.cleanup(port);
    if (exited === undefined) child.kill('SIGKILL');
    await gone;
  }
}
