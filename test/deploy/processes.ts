/**
 * Running the deployment shapes' programs in tests: child processes whose output is kept for
 * failure messages, waiting for a port the way generic-worker does, and builds that several test
 * files may ask for at once.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * `npm run build` unless every source file's compiled file, and the proxy's bundle, is newer,
 * checked while holding the lock, so that test files running in parallel (they share dist/)
 * build it once.
 */
const BUILD_IF_STALE = `
  [ dist/cli/taskcluster-proxy.bundle.cjs -nt scripts/bundle-proxy.mjs ] || exec npm run build --silent
  for source in $(find src -name '*.ts' ! -name '*.d.ts'); do
    compiled=dist/\${source#src/}
    [ "\${compiled%.ts}.js" -nt "$source" ] || exec npm run build --silent
  done`;

export function buildPackage(): void {
  execFileSync('flock', ['/tmp/taskcluster-gateway-build.lock', 'sh', '-c', BUILD_IF_STALE], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
}

export interface Running {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

export function start(command: string, args: string[], options: SpawnOptions = {}): Running {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  return { child, output: () => output, exited };
}

/** Wait until a TCP connection to the port succeeds, as generic-worker waits for its proxy. */
export async function waitForPort(port: number, running: Running, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (running.child.exitCode !== null || running.child.signalCode !== null) throw new Error(`exited before listening on ${port}:\n${running.output()}`);
    if (Date.now() > deadline) throw new Error(`nothing listening on ${port} after ${timeoutMs} ms:\n${running.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A port free on loopback right now (the programs under test take fixed ports, as deployed). */
export async function freePort(preferred?: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen({ port, host: '0.0.0.0' }, () => {
        const { port: bound } = server.address() as { port: number };
        server.close(() => resolve(bound));
      });
    });
  return (preferred !== undefined && (await tryListen(preferred))) || (await tryListen(0))!;
}
