// bench/results/startup.md from one run's figures: each row beside the bare Node floor, and the targets.
import { median } from '../proxy/report.js';
import type { Start } from './measure.js';
import type { Row } from './launchers.js';

export interface StartupResults {
  date: string;
  machine: Record<string, string>;
  caution?: string | undefined;
  starts: number;
  idleMs: number;
  rows: Record<Row, Start[] | { unavailable: string }>;
  /** On-CPU ms of the single executable's start under the profiler, by category (median over `profiles`). */
  profile: Array<[string, number]>;
  profiles: number;
  /** Bytes of the SEA's bundle and of the dist bundle, for the record. */
  sizes: Record<string, string>;
}

const LABELS: Record<Row, string> = {
  floor: 'bare Node `http.createServer` (the floor)',
  sea: '**single executable** (`npm run build:sea`) as generic-worker runs it',
  dist: '**dist bin** `node dist/cli/taskcluster-proxy.js` (npm run build on this Node: the bundle and its compile cache), same flags',
  tree: 'the same bin as tsc\'s module tree, unbundled (reference)',
  container: 'container (`docker run` → first answer)',
};
const TARGETS: Partial<Record<Row, { start: number; rss?: number }>> = { sea: { start: 1.5, rss: 1.3 }, dist: { start: 2 } };

const fmt = (n: number, digits = 0) => n.toFixed(digits);

export function renderReport(r: StartupResults): string {
  const figures = (row: Row) => {
    const starts = r.rows[row];
    return Array.isArray(starts) ? { ms: median(starts.map((s) => s.ms)), cpu: median(starts.map((s) => s.cpuMs)), rss: median(starts.map((s) => s.rssMb)), anon: median(starts.map((s) => s.anonMb)), starts } : undefined;
  };
  const base = figures('floor')!;
  const lines = [
    '# Start-up benchmark',
    '',
    `Run ${r.date} by \`npm run bench startup\` (bench/startup.bench.ts). Machine: ${Object.entries(r.machine).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    `Each row started ${r.starts} times, the rows interleaved; median (min–max). Start: exec → first 200 from \`GET /__lbheartbeat__\` `
      + '(polled every 2 ms on fresh connections); CPU: on-CPU time of all the server\'s threads by that answer, which other work on the machine '
      + `stretches much less than the start. RSS: VmRSS ${r.idleMs} ms after that answer, idle, and its anonymous part (RssAnon, without the `
      + 'pages of the executable; each executable\'s page cache is dropped before the run, so every binary is mapped as read from disk). The proxy rows get generic-worker\'s '
      + 'arguments (`--port P --root-url URL --ip-address 127.0.0.1 scope...`, credentials in the environment) against a root URL nothing listens on. '
      + 'Every Node row runs the same official Node binary.',
  ];
  if (r.caution) lines.push('', `**Caution:** ${r.caution}`);
  lines.push('', '| row | start ms | × floor | CPU ms | × floor | idle RSS MB | × floor | anon MB | target |', '|---|---|---|---|---|---|---|---|---|');
  for (const row of Object.keys(LABELS) as Row[]) {
    const f = figures(row);
    const target = TARGETS[row];
    if (!f) {
      lines.push(`| ${LABELS[row]} | ${(r.rows[row] as { unavailable: string }).unavailable} | | | | | | | |`);
      continue;
    }
    const startRatio = f.ms / base.ms;
    const rssRatio = f.rss / base.rss;
    const range = (values: number[], d: number) => `${fmt(Math.min(...values), d)}–${fmt(Math.max(...values), d)}`;
    const verdict = target
      ? [`start ≤ ${target.start}× ${startRatio <= target.start ? 'met' : '**missed**'}`, target.rss ? `RSS ≤ ${target.rss}× ${rssRatio <= target.rss ? 'met' : '**missed**'}` : '']
        .filter(Boolean).join(', ')
      : row === 'container' ? 'reported' : '';
    lines.push(`| ${LABELS[row]} | ${fmt(f.ms)} (${range(f.starts.map((s) => s.ms), 0)}) | ${row === 'floor' ? '1' : fmt(startRatio, 2)} `
      + `| ${fmt(f.cpu)} (${range(f.starts.map((s) => s.cpuMs), 0)}) | ${row === 'floor' ? '1' : fmt(f.cpu / base.cpu, 2)} `
      + `| ${fmt(f.rss, 1)} (${range(f.starts.map((s) => s.rssMb), 1)}) | ${row === 'floor' ? '1' : fmt(rssRatio, 2)} | ${fmt(f.anon, 1)} | ${verdict} |`);
  }
  lines.push('', Object.entries(r.sizes).map(([k, v]) => `${k}: ${v}`).join('; ') + '.');
  const profiled = r.profile.reduce((sum, [, ms]) => sum + ms, 0);
  lines.push('', '## Where the single executable\'s start goes', '',
    `Time from exec to the first 200 under V8's profiler (\`--cpu-prof\`, 250 µs samples; the profiler slows the start, and time the process waited for a CPU counts to what it was doing), median of ${r.profiles} starts `
      + `by category, about ${profiled.toFixed(0)} ms in all; the last profile is bench/results/startup-sea.cpuprofile (open it in Chrome DevTools).`, '',
    '| category | ms |', '|---|---|',
    ...r.profile.filter(([, ms]) => ms >= 0.5).map(([name, ms]) => `| ${name} | ${ms.toFixed(1)} |`));
  lines.push('', 'The steps that brought these figures down, each measured on its own: bench/results/startup-steps.md.', '');
  return lines.join('\n');
}
