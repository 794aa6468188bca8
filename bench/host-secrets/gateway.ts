// The gateway as deployed: the real `host-secrets` bin, compiled and run by plain node in its own
// process, default settings (rate limit on, logs at info) written to a file rather than a pipe,
// so the load generator pays nothing for them.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compileGateway, type CompiledGateway } from '../proxy/compiled-gateway.js';

// USER_HZ, 100 on every Linux this runs on.
const CLOCK_TICKS_PER_SECOND = 100;

export interface GatewayProcess {
  url: string;
  logFile: string;
  /** CPU time (user + system) the gateway process has used so far, from /proc. */
  cpuMs(): number;
  /** The same for its main thread alone: the event loop serving HTTP. */
  mainThreadCpuMs(): number;
  close(): Promise<number | null>;
}

/** The compiled tree (every src/ file transpiled into a private temporary directory). */
export function compileHostSecrets(): CompiledGateway & { bin: string } {
  const compiled = compileGateway();
  return { ...compiled, bin: join(dirname(compiled.entry), 'host-secrets.js') };
}


/** utime + stime of a /proc stat file (a process's, or one thread's under task/). */
function statCpuMs(path: string): number {
  const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS_PER_SECOND);
}

export async function startGateway(bin: string, env: NodeJS.ProcessEnv, args: string[], logFile: string): Promise<GatewayProcess> {
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, [bin, '--port', '0', '--ip-address', '127.0.0.1', ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', out, 'pipe'],
  });
  closeSync(out);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const listening = /"main":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(readFileSync(logFile, 'utf8'));
    if (listening) {
      return {
        url: listening[1]!,
        logFile,
        cpuMs: () => statCpuMs(`/proc/${child.pid}/stat`),
        mainThreadCpuMs: () => statCpuMs(`/proc/${child.pid}/task/${child.pid}/stat`),
        close: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          return exited;
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`host-secrets did not start: ${stderr.trim() || 'no listening line'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
