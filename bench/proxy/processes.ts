// Starting, measuring and stopping the benchmark's separate processes, every wait bounded.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(benchDir, '..', '..');

export interface Service {
  name: string;
  child: ChildProcess;
  port: number;
  /** Last lines of stderr, for failures. */
  stderr(): string;
}

function collectStderr(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => { tail = (tail + chunk.toString()).slice(-4000); });
  return () => tail;
}

/** A bench/proxy/<script> process (through tsx) that prints `{"port": N}` once listening. */
export function startNodeService(name: string, script: string, args: string[]): Promise<Service> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(benchDir, script), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = collectStderr(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${name} did not start in 30 s: ${stderr()}`)); }, 30_000);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      resolve({ name, child, port: JSON.parse(line).port, stderr });
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited (${code}) before listening: ${stderr()}`)); });
  });
}

/** A process that listens on a port it was told: ready once that port accepts a connection. */
export async function startListeningProcess(name: string, command: string, args: string[], port: number, env: NodeJS.ProcessEnv = process.env): Promise<Service> {
  const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = collectStderr(child);
  let exited: number | null | undefined;
  child.on('exit', (code) => { exited = code; });
  const deadline = Date.now() + 60_000;
  while (!(await accepts(port))) {
    if (exited !== undefined) throw new Error(`${name} exited (${exited}) before listening: ${stderr()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not listen on ${port} in 60 s: ${stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, child, port, stderr };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

/** SIGTERM, then SIGKILL after 5 s. */
export async function stop(service: Service | undefined): Promise<void> {
  if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return;
  const exited = new Promise((r) => service.child.once('exit', r));
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

let clockTicksPerSecond: number | undefined;

/** CPU time (user + system) a process and its child processes (nginx's worker) have used so far, µs. */
export function cpuMicros(pid: number): number {
  clockTicksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const ticks = (id: string) => {
    // fields after the command name: state is 3rd, utime 14th, stime 15th of the whole line
    const fields = readFileSync(`/proc/${id}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean);
  return [String(pid), ...children].reduce((sum, id) => sum + ticks(id), 0) * (1e6 / clockTicksPerSecond);
}

/** Peak resident set (VmHWM) of a process, in MB. */
export function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmHWM for ${pid}`);
  return Number(match[1]) / 1024;
}

/** Runs a bench/proxy/<script> client process to completion and parses the JSON it prints. */
export function runClient<T>(script: string, args: string[], timeoutMs: number): T {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, script), ...args], { cwd: repoRoot, timeout: timeoutMs, encoding: 'utf8' });
  const line = run.stdout?.trim().split('\n').at(-1);
  if (run.status !== 0 || !line) throw new Error(`${script} ${args.join(' ')} failed (${run.status ?? run.signal}): ${run.stderr?.slice(-2000)}`);
  return JSON.parse(line) as T;
}

/** The binary's path, installing its Debian package when it is missing. */
export function ensureDebianTool(binary: string, pkg: string): string {
  const find = () => spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).stdout.trim();
  if (find()) return find();
  console.log(`installing ${pkg} (apt-get)`);
  const install = spawnSync('sh', ['-c', `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${pkg}`], { stdio: 'inherit', timeout: 300_000 });
  if (install.status !== 0 || !find()) throw new Error(`could not install ${pkg}`);
  return find();
}
