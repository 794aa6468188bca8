// bench/results/proxy.md from one run's figures: every figure beside its references, the ratios, the targets.
import type { WrkResult } from './wrk.js';

export type ThroughputRow = 'direct' | 'nginx' | 'node' | 'fastify' | 'gateway';
export type LatencyRow = 'direct' | 'gateway' | 'nginx';
export interface OpenLoopResult { sent: number; measured: number; errors: number; p50: number; p99: number; max: number }
export interface StreamResult { bytes: number; seconds: number; mibPerSec: number }
/** One wrk run through a path, with the CPU time its proxy process used per request (µs; none for direct). */
export type ThroughputRound = WrkResult & { proxyCpuUs: number | undefined };
/** A row's figures, or why it could not be measured. */
export type Measured<T> = { ok: T } | { unavailable: string };

export interface BenchResults {
  date: string;
  machine: Record<string, string>;
  /** Set when other work shared the CPUs during the run. */
  caution?: string | undefined;
  settings: { wrkRounds: number; latencyRounds: number; wrkSeconds: number; openLoopRate: number; openLoopSeconds: number; streamBytes: number; streamRounds: number };
  throughput: Record<ThroughputRow, Measured<ThroughputRound[]>>;
  latency: Record<LatencyRow, Measured<OpenLoopResult[]>>;
  streaming: Record<LatencyRow, Measured<Array<{ down: StreamResult; up: StreamResult }>>>;
  gatewayRss: Measured<{ beforeMb: number; peakMb: number }>;
}

const LABELS: Record<ThroughputRow, string> = {
  direct: 'direct to the upstream',
  nginx: 'nginx proxy_pass, 1 worker, keep-alive pool, fixed Authorization',
  node: 'node:http → undici Pool.request, Hawk per request (calculateMac) — the Node ceiling',
  fastify: 'stock @fastify/http-proxy, Hawk via rewriteRequestHeaders + hawk.client.header',
  gateway: '**the gateway** (taskcluster-proxy bin as generic-worker runs it, default settings)',
};

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a / b);
const value = <T, R>(m: Measured<T>, f: (t: T) => R): R | undefined => ('ok' in m ? f(m.ok) : undefined);

export function renderReport(r: BenchResults): string {
  const rps = (row: ThroughputRow) => value(r.throughput[row], (rounds) => median(rounds.map((x) => x.requestsPerSec)));
  const cpu = (row: ThroughputRow) => value(r.throughput[row], (rounds) => (rounds.every((x) => x.proxyCpuUs !== undefined) ? median(rounds.map((x) => x.proxyCpuUs!)) : undefined));
  const lat = (row: LatencyRow, key: 'p50' | 'p99') => value(r.latency[row], (rounds) => median(rounds.map((x) => x[key])));
  const mib = (row: LatencyRow, dir: 'down' | 'up') => value(r.streaming[row], (rounds) => median(rounds.map((s) => s[dir].mibPerSec)));
  const lines: string[] = [];
  const out = (s = '') => lines.push(s);

  out('# Proxy benchmark');
  out();
  out(`Run ${r.date} by \`npm run bench\` (bench/proxy.bench.ts). All traffic on 127.0.0.1; the upstream, each proxy and each load generator in its own process. `
    + `Machine: ${Object.entries(r.machine).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  out(`Upstream: node:http answering a 220-byte JSON body. Throughput: \`wrk -t1 -c32 -d${r.settings.wrkSeconds}s\`, ${r.settings.wrkRounds} interleaved rounds, median (all rounds listed). `
    + 'Reference figures from performance.md (another run of this kind of machine) in brackets; ratios are within this run. '
    + 'CPU µs/request: user + system CPU time of the proxy process (nginx: master and worker) over each round divided by the requests wrk completed, median; '
    + 'other work on the shared machine moves it much less than req/s, so it tells the per-request cost apart from the noise.');
  if (r.caution) out(`\n**Caution:** ${r.caution}`);
  out();
  out('## Small requests');
  out();
  out('| path | req/s (median) | rounds | vs nginx | vs Node ceiling | proxy CPU µs/request | wrk p50 / p99 ms | performance.md |');
  out('|---|---|---|---|---|---|---|---|');
  const reference: Record<ThroughputRow, string> = { direct: '~81–88k', nginx: '~51–62k (1.00)', node: '~19k (~0.31)', fastify: '~9.5–10k (~0.17)', gateway: '—' };
  for (const row of Object.keys(LABELS) as ThroughputRow[]) {
    const m = r.throughput[row];
    if (!('ok' in m)) { out(`| ${LABELS[row]} | not measured: ${m.unavailable} | | | | | | ${reference[row]} |`); continue; }
    const rounds = m.ok.map((x) => fmt(x.requestsPerSec)).join(', ');
    const errors = m.ok.reduce((s, x) => s + x.errors, 0);
    out(`| ${LABELS[row]} | ${fmt(rps(row))}${errors ? ` (**${errors} errors**)` : ''} | ${rounds} | ${fmt(ratio(rps(row), rps('nginx')), 2)} | ${fmt(ratio(rps(row), rps('node')), 2)} | ${row === 'direct' ? '—' : fmt(cpu(row), 1)} | ${fmt(median(m.ok.map((x) => x.p50)), 2)} / ${fmt(median(m.ok.map((x) => x.p99)), 2)} | ${reference[row]} |`);
  }
  out();
  out(`## Latency at ${fmt(r.settings.openLoopRate)} req/s, open loop`);
  out();
  out(`Requests sent on schedule by bench/proxy/open-loop.ts (own process, undici pool), each timed from when it was due; 1 s warm-up, then ${r.settings.openLoopSeconds} s measured; median of ${r.settings.latencyRounds} interleaved rounds.`);
  out();
  out('| path | p50 ms | p99 ms | p99 added over direct ms | rounds (p50 / p99) |');
  out('|---|---|---|---|---|');
  for (const row of ['direct', 'nginx', 'gateway'] as LatencyRow[]) {
    const m = r.latency[row];
    if (!('ok' in m)) { out(`| ${row} | not measured: ${m.unavailable} | | | |`); continue; }
    const added = row === 'direct' ? '—' : fmt((lat(row, 'p99') ?? NaN) - (lat('direct', 'p99') ?? NaN), 3);
    const errs = m.ok.reduce((s, x) => s + x.errors, 0);
    out(`| ${row} | ${fmt(lat(row, 'p50'), 3)} | ${fmt(lat(row, 'p99'), 3)} | ${added}${errs ? ` (**${errs} errors**)` : ''} | ${m.ok.map((x) => `${fmt(x.p50, 2)} / ${fmt(x.p99, 2)}`).join('; ')} |`);
  }
  out();
  out(`## Streaming ${fmt(r.settings.streamBytes / 2 ** 30)} GiB each way`);
  out();
  out('bench/proxy/stream-client.ts (own process) downloads and uploads (Content-Length set) through each path; nginx with proxy_buffering and proxy_request_buffering off. '
    + `Median of ${r.settings.streamRounds} interleaved rounds. The gateway is a fresh process for this part; its peak RSS is VmHWM from /proc/<pid>/status after all its transfers.`);
  out();
  out('| path | down MiB/s | up MiB/s | down vs nginx | up vs nginx | rounds (down / up) | performance.md |');
  out('|---|---|---|---|---|---|---|');
  const streamRef: Record<LatencyRow, string> = { direct: '—', nginx: '~800–1000 down, ~870–1100 up', gateway: 'node:http+undici ~660 each way; stock @fastify/http-proxy ~590 down, ~390 up' };
  for (const row of ['direct', 'nginx', 'gateway'] as LatencyRow[]) {
    const m = r.streaming[row];
    if (!('ok' in m)) { out(`| ${row} | not measured: ${m.unavailable} | | | | | ${streamRef[row]} |`); continue; }
    const rounds = m.ok.map((s) => `${fmt(s.down.mibPerSec)} / ${fmt(s.up.mibPerSec)}`).join('; ');
    out(`| ${row} | ${fmt(mib(row, 'down'))} | ${fmt(mib(row, 'up'))} | ${fmt(ratio(mib(row, 'down'), mib('nginx', 'down')), 2)} | ${fmt(ratio(mib(row, 'up'), mib('nginx', 'up')), 2)} | ${rounds} | ${streamRef[row]} |`);
  }
  const rss = value(r.gatewayRss, (x) => x);
  out();
  out(rss ? `Gateway RSS: ${fmt(rss.beforeMb, 1)} MB after start, peak ${fmt(rss.peakMb, 1)} MB over all its transfers (${fmt(r.settings.streamRounds * r.settings.streamBytes / 2 ** 30)} GiB each way) (performance.md: the Node references peaked at 120–135 MB).`
    : `Gateway RSS: not measured: ${'unavailable' in r.gatewayRss ? r.gatewayRss.unavailable : ''}`);
  out();
  out('## Targets (performance.md; they supersede the issue\'s figures)');
  out();
  out('| target | measured | verdict |');
  out('|---|---|---|');
  const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'PASS' : '**FAIL**');
  const vsNode = ratio(rps('gateway'), rps('node'));
  const vsFastify = ratio(rps('gateway'), rps('fastify'));
  const added = lat('gateway', 'p99') !== undefined && lat('direct', 'p99') !== undefined ? lat('gateway', 'p99')! - lat('direct', 'p99')! : undefined;
  const down = ratio(mib('gateway', 'down'), mib('nginx', 'down'));
  const up = ratio(mib('gateway', 'up'), mib('nginx', 'up'));
  out(`| small requests ≥ 0.85× the Node ceiling | ${fmt(vsNode, 2)}× (${fmt(rps('gateway'))} vs ${fmt(rps('node'))} req/s) | ${verdict(vsNode === undefined ? undefined : vsNode >= 0.85)} |`);
  out(`| small requests ≥ 1.6× stock @fastify/http-proxy | ${fmt(vsFastify, 2)}× (${fmt(rps('gateway'))} vs ${fmt(rps('fastify'))} req/s) | ${verdict(vsFastify === undefined ? undefined : vsFastify >= 1.6)} |`);
  out(`| (for reading the two above) CPU per request, the Node ceiling's over the gateway's | ${fmt(ratio(cpu('node'), cpu('gateway')), 2)}× (${fmt(cpu('node'), 1)} vs ${fmt(cpu('gateway'), 1)} µs); stock's over the gateway's ${fmt(ratio(cpu('fastify'), cpu('gateway')), 2)}× (${fmt(cpu('fastify'), 1)} µs) | — |`);
  out(`| p99 added over direct ≤ 1 ms at ${fmt(r.settings.openLoopRate)} req/s open loop | ${fmt(added, 3)} ms (nginx adds ${fmt((lat('nginx', 'p99') ?? NaN) - (lat('direct', 'p99') ?? NaN), 3)} ms) | ${verdict(added === undefined ? undefined : added <= 1)} |`);
  out(`| 1 GiB down ≥ 0.7× nginx | ${fmt(down, 2)}× (${fmt(mib('gateway', 'down'))} vs ${fmt(mib('nginx', 'down'))} MiB/s) | ${verdict(down === undefined ? undefined : down >= 0.7)} |`);
  out(`| 1 GiB up ≥ 0.7× nginx | ${fmt(up, 2)}× (${fmt(mib('gateway', 'up'))} vs ${fmt(mib('nginx', 'up'))} MiB/s) | ${verdict(up === undefined ? undefined : up >= 0.7)} |`);
  out(`| peak RSS < 150 MB while streaming | ${fmt(rss?.peakMb, 1)} MB | ${verdict(rss === undefined ? undefined : rss.peakMb < 150)} |`);
  const vsNginx = ratio(rps('gateway'), rps('nginx'));
  out();
  out(`For the record, the issue's original "≥ 60% of nginx's requests/s" (withdrawn in corrections.md: the Node ceiling itself is ~0.31× nginx): the gateway is at ${fmt(vsNginx, 2)}× nginx in this run.`);
  out();
  return lines.join('\n');
}
