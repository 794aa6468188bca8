/**
 * The Docker CLI for the image tests (DOCKER_HOST is set by scripts/test-image.sh): commands that
 * return their output, containers and networks that remove themselves when the test ends.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface Teardown {
  teardown(fn: () => unknown): void;
}

/** `docker ...`: its stdout, trimmed; throws with stderr when it fails. */
export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 }).trim();
}

/** `docker ...` without waiting: its exit status and output. */
export async function dockerAsync(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('docker', args, { encoding: 'utf8', timeout: 120_000 });
    return { status: 0, stdout: stdout.trim(), stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof e.code === 'number' ? e.code : -1, stdout: (e.stdout ?? '').trim(), stderr: e.stderr ?? '' };
  }
}

/** `docker inspect -f FORMAT NAME`. */
export function inspect(name: string, format: string): string {
  return docker('inspect', '-f', format, name);
}

/** On every container and network the tests make, so that scripts/test-image.sh removes leftovers. */
export const LABEL = 'taskcluster-gateway-test';

let counter = 0;
/** A name no other test run uses. */
export function uniqueName(what: string): string {
  return `gateway-test-${process.pid}-${what}-${++counter}`;
}

/** A user-defined bridge network, removed at teardown; `gateway` is the host's address on it. */
export function createNetwork(t: Teardown): { name: string; gateway: string } {
  const name = uniqueName('net');
  docker('network', 'create', '--label', LABEL, name);
  t.teardown(() => docker('network', 'rm', name));
  return { name, gateway: inspect(name, '{{range .IPAM.Config}}{{.Gateway}}{{end}}') };
}

/** `docker run -d --name <unique> ...args`, force-removed at teardown. Returns the name. */
export function runDetached(t: Teardown, args: string[]): string {
  const name = uniqueName('ctr');
  t.teardown(() => dockerAsync('rm', '-f', name));
  docker('run', '-d', '--label', LABEL, '--name', name, ...args);
  return name;
}

/** Poll the container's health until it is `healthy`; throws with its logs if it stops or turns unhealthy. */
export async function waitHealthy(name: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [status, health] = inspect(name, '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}').split(' ');
    if (health === 'healthy') return;
    if (status !== 'running' || health === 'unhealthy' || Date.now() > deadline) {
      throw new Error(`${name} is ${status}/${health}:\n${(await dockerAsync('logs', name)).stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Poll a published port until it answers 200 (each try cut after a second); throws if the container stops. */
export async function waitForAnswer(url: string, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ok) return;
    if (inspect(name, '{{.State.Status}}') !== 'running' || Date.now() > deadline) {
      throw new Error(`no answer from ${url}:\n${(await dockerAsync('logs', name)).stdout}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Poll `docker logs` until a line matches. */
export async function waitForLog(name: string, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout, stderr } = await dockerAsync('logs', name);
    if (pattern.test(stdout + stderr)) return;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in the logs of ${name}:\n${stdout}${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
