/**
 * Where a start's time goes: the server started with V8's CPU profiler (`--cpu-prof` through
 * NODE_OPTIONS, which the single executable honours too) until its first 200, then stopped with
 * SIGTERM so that the profile is written. Each sample is put in one category by its stack.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../proxy/report.js';
import { status, type Launcher } from './measure.js';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
export interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** One profiled start: the profile's JSON text. */
export async function profiledStart(launcher: Launcher, port: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'startup-profile-'));
  try {
    const env = { ...(launcher.env ?? process.env), NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir} --cpu-prof-interval=250` };
    const child = spawn(launcher.command, launcher.args(port), { env, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 30_000;
    while ((await status(port, '/__lbheartbeat__')) !== 200) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${launcher.command} did not answer under the profiler`);
      await new Promise((r) => setTimeout(r, 2));
    }
    child.kill('SIGTERM');
    await exited;
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no profile written');
    return readFileSync(join(dir, file), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const MAIN_PHASES = new Set(['loadConfig', 'createLogger', 'createMetrics', 'buildGateway', 'gatewayServices', 'parseProxyArgs', 'authorizedScopesFor']);

/** On-CPU ms by category: Node's own start, V8 compiling, each package's loading, builtins loaded for the bundle, the phases of main. */
export function categorize(profile: CpuProfile, bundleUrl: RegExp): Record<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const out: Record<string, number> = {};
  profile.samples.forEach((sample, i) => {
    const leaf = byId.get(sample)!.callFrame.functionName;
    if (leaf === '(idle)') return;
    const chain: ProfileNode[] = [];
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) chain.unshift(byId.get(id)!);
    const names = chain.map((n) => n.callFrame.functionName);
    const inBundle = chain.some((n) => bundleUrl.test(n.callFrame.url));
    const pkg = chain.find((n) => n.callFrame.functionName.startsWith('node_modules/'))?.callFrame.functionName.replace(/^node_modules\/((?:@[^/]+\/)?[^/]+).*/, '$1');
    const builtin = names.indexOf('compileForInternalLoader');
    const phase = names.find((name) => MAIN_PHASES.has(name));
    let category: string;
    if (leaf === '(garbage collector)') category = 'garbage collection';
    else if (leaf === '(program)') category = 'V8 outside JavaScript (parsing, compiling)';
    else if (!inBundle) category = 'Node\'s own start (the floor pays it too)';
    else if (builtin >= 0) category = `builtins loaded: ${chain[builtin + 1]?.callFrame.url.replace(/^node:(internal\/)?/, '') ?? '?'}`;
    else if (pkg) category = `loading ${pkg}`;
    else if (phase) category = `main: ${phase}`;
    else category = 'the rest of the bundle\'s code: Fastify\'s boot (plugins, routes), our modules\' top level, the first log lines';
    out[category] = (out[category] ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000;
  });
  return out;
}

/** Median of each category over several profiles (absent = 0), largest first. */
export function medianCategories(runs: Array<Record<string, number>>): Array<[string, number]> {
  const names = new Set(runs.flatMap((r) => Object.keys(r)));
  return [...names].map((name) => [name, median(runs.map((r) => r[name] ?? 0))] as [string, number]).sort((a, b) => b[1] - a[1]);
}
