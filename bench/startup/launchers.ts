/**
 * The servers the start-up bench starts, each the way its user starts it: the bare Node floor,
 * the single executable as generic-worker runs it, the dist bin (the same taskcluster-proxy
 * drop-in, on plain node; also as the unbundled module tree, for reference) and the container
 * as docker-worker runs it. The proxy gets generic-
 * worker's arguments and credentials against a root URL nothing listens on: it needs no network
 * to start.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../proxy/processes.js';
import type { Launcher } from './measure.js';

export type Row = 'floor' | 'sea' | 'dist' | 'tree' | 'container';

const ROOT_URL = 'http://127.0.0.1:9';
const SCOPES = ['secrets:get:project/x', 'queue:create-artifact:abc/0'];
const CREDENTIALS = { TASKCLUSTER_CLIENT_ID: 'project/worker', TASKCLUSTER_ACCESS_TOKEN: 'worker-token', TASKCLUSTER_CERTIFICATE: '' };
const env = { PATH: process.env.PATH, ...CREDENTIALS };
const proxyArgs = (port: number) => ['--port', String(port), '--root-url', ROOT_URL, '--ip-address', '127.0.0.1', ...SCOPES];

/** The official Node build of a major line (scripts/node-line.sh), fetched once. */
export function nodeLine(major: string): string {
  return join(execFileSync(join(repoRoot, 'scripts/node-line.sh'), [major], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim(), 'bin/node');
}

export function floor(node: string): Launcher {
  return { command: node, args: (port) => [join(repoRoot, 'bench/startup/hello.cjs'), String(port)], env };
}

export function singleExecutable(executable: string): Launcher {
  return { command: executable, args: proxyArgs, env };
}

export function distBin(node: string, entry: string): Launcher {
  return { command: node, args: (port) => [entry, ...proxyArgs(port)], env };
}

/** Why the container row cannot run here, or undefined when a docker engine answers and has the image. */
export function containerUnavailable(image: string): string | undefined {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 10_000 });
  if (info.status !== 0) return 'skipped: no docker engine (DOCKER_HOST names the one npm run test:image starts)';
  const inspect = spawnSync('docker', ['image', 'inspect', image], { encoding: 'utf8', timeout: 10_000 });
  if (inspect.status !== 0) return `skipped: no image ${image} (npm run test:image builds it)`;
  return undefined;
}

/**
 * `docker run` → first answer: the container publishes its port 80 on the bench's loopback port
 * and gets the proxy's arguments as docker-worker passes them; RSS is its server process's.
 */
export function container(image: string): Launcher {
  const name = (port: number) => `startup-bench-${port}`;
  return {
    command: 'docker',
    args: (port) => [
      'run', '-d', '--rm', '--name', name(port), '-p', `127.0.0.1:${port}:80`,
      ...Object.entries(CREDENTIALS).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
      image, '--root-url', ROOT_URL, ...SCOPES,
    ],
    serverPid: (port) => Number(execFileSync('docker', ['inspect', '-f', '{{.State.Pid}}', name(port)], { encoding: 'utf8' }).trim()),
    cleanup: (port) => { spawnSync('docker', ['rm', '-f', name(port)], { stdio: 'ignore', timeout: 30_000 }); },
  };
}
