// Runs one of the package's bins from source (through tsx) as its own process, as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * What every program a test starts has in its environment before the test's own variables: no
 * load shedding (as .taprc sets for the suite's own process). A program under test shares two
 * cores with the rest of the suite, whose load would otherwise make it answer 503 to requests
 * the test did not mean to overload; the load-shedding tests set thresholds of their own.
 */
export const BIN_TEST_ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, GATEWAY_MAX_EVENT_LOOP_DELAY_MS: '0' };

export function startBin(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; result: Promise<BinResult>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', `src/cli/${bin}.ts`, ...args], {
    cwd: root,
    env: { ...BIN_TEST_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const result = new Promise<BinResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, result, output: () => stdout + stderr };
}

export async function runBin(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<BinResult> {
  return startBin(bin, args, env).result;
}

/** Resolves once `predicate(output)` holds, or rejects after timeoutMs. */
export async function waitForOutput(output: () => string, predicate: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const started = Date.now();
  while (!predicate(output())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting; output so far:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return output();
}

/** A port free right now on 127.0.0.1 (for bins whose ports must be known in advance). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
