// The README's examples, run as written, in order, in a copy of this checkout (a temp dir, so
// ./data starts empty). A block runs when a marker comment stands right above it:
//   <!-- readme-test: serve ready="<text>" -->   starts a server (bash -c), waits for <text> in its
//                                                output, leaves it running until the end
//                                                (`installed`: the copy is installed, npm ci is left out)
//   <!-- readme-test: run -->                    runs to completion (bash -euo pipefail), exit 0
//   <!-- readme-test: output -->                 the exact stdout of the run block before it
// The examples use the ports a newcomer would (8080-8082, 9090): they must be free.
import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN_TEST_ENV } from './helpers/spawn-bin.js';

t.setTimeout(480_000);
const repo = fileURLToPath(new URL('..', import.meta.url));
const README_PORTS = [8080, 8081, 8082, 9090];

interface Block {
  kind: 'serve' | 'run' | 'output';
  options: string;
  code: string;
  /** Line in README.md, for messages. */
  line: number;
}

export function markedBlocks(readme: string): Block[] {
  const marked = /<!-- readme-test: (serve|run|output)\b(.*?)-->\n```\w*\n([\s\S]*?)\n```\n/g;
  return [...readme.matchAll(marked)].map((m) => ({
    kind: m[1] as Block['kind'],
    options: m[2]!.trim(),
    code: m[3]!,
    line: readme.slice(0, m.index).split('\n').length,
  }));
}

/** This checkout's files (tracked, or new and not ignored) copied to a temp dir, sharing node_modules. */
function copyOfCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'readme-'));
  const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  for (const file of files) {
    const from = join(repo, file);
    let mode: number;
    try {
      mode = statSync(from).mode;
    } catch {
      continue; // deleted in the working tree
    }
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(from, join(dir, file));
    chmodSync(join(dir, file), mode);
  }
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Without tap's loaders and settings: as a user's shell would run it; but for load shedding, off
 * as for every program the suite starts (BIN_TEST_ENV): a user's machine is not two cores shared
 * with a test suite.
 */
const env = { ...BIN_TEST_ENV, LANG: 'C.UTF-8' };

function serve(t: Test, block: Block, cwd: string): Promise<void> {
  const code = / installed\b/.test(` ${block.options}`) ? block.code.split('\n').map((l) => l.replace(/^npm ci\s*&&\s*/, '')).filter((l) => !/^npm ci\b/.test(l)).join('\n') : block.code;
  const ready = /ready="([^"]+)"/.exec(block.options)![1]!;
  const child: ChildProcess = spawn('bash', ['--norc', '--noprofile', '-c', code], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-child.pid!, 'SIGTERM');
    const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
    await closed;
    clearTimeout(killer);
  });
  return new Promise((resolve, reject) => {
    const check = () => {
      if (output.includes(ready)) {
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void closed.then(() => reject(new Error(`README.md:${block.line}: exited before "${ready}":\n${output}`)));
  });
}

t.test('the README\'s examples work as written', async (t) => {
  const blocks = markedBlocks(readFileSync(join(repo, 'README.md'), 'utf8'));
  t.ok(blocks.filter((b) => b.kind === 'serve').length >= 2 && blocks.filter((b) => b.kind === 'run').length >= 2, 'the marked examples are found');
  t.equal(blocks[0]?.kind, 'serve', 'the first marked block starts the gateway');
  t.match(blocks[0]?.code, /^npm ci && npm start\b/, 'npm start, after the install, in one command');
  for (const port of README_PORTS) {
    if (!(await portFree(port))) return t.fail(`port ${port} is in use: the README's examples need it (stop npm start)`);
  }
  const cwd = copyOfCheckout();
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    if (block.kind === 'serve') {
      await serve(t, block, cwd);
      t.pass(`README.md:${block.line}: started`);
    } else if (block.kind === 'run') {
      const run = spawnSync('bash', ['--norc', '--noprofile', '-euo', 'pipefail', '-c', block.code], { cwd, env, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
      t.equal(run.status, 0, `README.md:${block.line}: exit 0`, { stderr: run.stderr });
      t.equal(run.stderr, '', `README.md:${block.line}: nothing on stderr`);
      const next = blocks[i + 1];
      if (next?.kind === 'output') {
        t.equal(run.stdout, `${next.code}\n`, `README.md:${next.line}: the output shown`);
        i++;
      }
    } else {
      t.fail(`README.md:${block.line}: an output block follows no run block`);
    }
  }
  t.match(readFileSync(join(cwd, 'data/clients.json'), 'utf8'), /"clientId": "root"/, 'the quick start kept its client in ./data');
});
