// The load generator for the gateway rows (ping and credentials). It shares the machine's 2 cores
// with the gateway while the floor has no client at all, so every µs it spends is taken from the
// gateway: it is loadgen.c, compiled here at run time with the machine's C compiler. Without one
// the Node generator (load.ts) stands in, and the report says so.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Host } from './dnsmasq.js';
import { nodeGatewayRound, requestText, type Answer, type GatewayRound } from './load.js';

export interface LoadGenerator {
  /** What generated the gateway rows' load, for the report. */
  description: string;
  /** Every host asks `path` once, on its own new connection from its own address, `concurrency` in flight. */
  round(hosts: Host[], url: URL, path: string, concurrency: number): Promise<GatewayRound>;
  remove(): void;
}

const source = fileURLToPath(new URL('./loadgen.c', import.meta.url));
// Git-ignored.
const buildRoot = fileURLToPath(new URL('../tmp/', import.meta.url));

function cCompiler(): string | undefined {
  const candidates = [process.env.CC, 'cc', 'gcc', 'clang'].filter((c): c is string => !!c);
  return candidates.find((c) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', c]).status === 0);
}

/** The records loadgen.c writes: "<status> <latency ns> <body bytes>\n<body>", one per host in order. */
function parseAnswers(file: string, expected: number): Answer[] {
  const data = readFileSync(file);
  const answers: Answer[] = [];
  for (let at = 0; at < data.length; ) {
    const endOfLine = data.indexOf(10, at);
    const [status, latencyNs, length] = data.subarray(at, endOfLine).toString('latin1').split(' ').map(Number);
    const bodyStart = endOfLine + 1;
    answers.push({ status: status!, ms: latencyNs! / 1e6, body: data.subarray(bodyStart, bodyStart + length!).toString('utf8') });
    at = bodyStart + length!;
  }
  if (answers.length !== expected) throw new Error(`loadgen wrote ${answers.length} answers, expected ${expected}`);
  return answers;
}

function run(bin: string, args: string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`loadgen exited ${code}: ${stderr.trim()}`))));
    child.stdin.end(stdin);
  });
}

function cLoadGenerator(compiler: string): LoadGenerator {
  mkdirSync(buildRoot, { recursive: true });
  const dir = mkdtempSync(join(buildRoot, 'host-secrets-loadgen-'));
  const bin = join(dir, 'loadgen');
  const build = spawnSync(compiler, ['-O2', '-Wall', '-Wextra', '-o', bin, source], { encoding: 'utf8' });
  if (build.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${compiler} could not compile ${source}: ${build.stderr || build.error?.message}`);
  }
  const version = spawnSync(compiler, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]!.trim();
  return {
    description: `a small C program (bench/host-secrets/loadgen.c: one epoll loop over non-blocking sockets, compiled at run time by ${version} -O2), C rather than Node so that the client takes as little of the 2 cores from the gateway as it can`,
    async round(hosts, url, path, concurrency) {
      const answersFile = join(dir, 'answers');
      const args = [url.hostname, url.port, String(concurrency), answersFile, requestText(url, path)];
      const [elapsedNs, cpuUs] = (await run(bin, args, hosts.map((h) => `${h.ip}\n`).join(''))).trim().split(' ').map(Number);
      const results = parseAnswers(answersFile, hosts.length);
      rmSync(answersFile);
      return { results, seconds: elapsedNs! / 1e9, generatorCpuUs: cpuUs! };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function startLoadGenerator(): LoadGenerator {
  const compiler = cCompiler();
  if (compiler) return cLoadGenerator(compiler);
  console.warn('host-secrets bench: NO C COMPILER (cc, gcc, clang or $CC) found: falling back to the Node load generator, whose CPU competes with the gateway\'s and depresses its rows');
  return {
    description: 'the Node generator in the bench process (load.ts), because this machine has no C compiler: its CPU competes with the gateway\'s and depresses the gateway rows',
    round: nodeGatewayRound,
    remove: () => {},
  };
}
