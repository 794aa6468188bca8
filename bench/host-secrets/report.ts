// bench/results/host-secrets.md: every figure beside its reference, with the ratios.
import { cpus } from 'node:os';

export interface RoundFigures {
  floorPerSecond: number;
  /** The same server's GET /v1/ping from the same addresses: HTTP on a new connection, no DNS. */
  pingPerSecond: number;
  issuedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU µs per PTR + A pair in the resolver's process, per ping and per issued credential in the gateway's. */
  floorCpuUs: number;
  pingCpuUs: number;
  issueCpuUs: number;
  /** Of issueCpuUs, the gateway's main thread: the event loop serving HTTP (the rest is the issuing thread's and V8's). */
  issueMainThreadCpuUs: number;
  /** CPU µs per request of the load generator, which shares the cores with the gateway. */
  loadPingCpuUs: number;
  loadIssueCpuUs: number;
}

export interface BenchFacts {
  hosts: number;
  concurrency: number;
  /** What generated the gateway rows' load (LoadGenerator.description). */
  generator: string;
  slice: number;
  warmUpRounds: number;
  rounds: RoundFigures[];
  target: number;
  dnsmasqVersion: string;
  loadAtStart: number[];
  /** Fraction of the CPUs busy just before the bench (with other people's work) and just after. */
  busyAtStart: number;
  busyAtEnd: number;
  priority: string;
  verified: number;
  auditLines: number;
  expectedAuditLines: number;
  problems: string[];
  seconds: number;
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const r = (x: number) => x.toFixed(2);

export function ratioOf(facts: BenchFacts): number {
  return median(facts.rounds.map((f) => f.issuedPerSecond / f.floorPerSecond));
}

export function renderReport(facts: BenchFacts): string {
  const ratio = ratioOf(facts);
  const floor = median(facts.rounds.map((f) => f.floorPerSecond));
  const issued = median(facts.rounds.map((f) => f.issuedPerSecond));
  const ping = median(facts.rounds.map((f) => f.pingPerSecond));
  const met = ratio >= facts.target && facts.problems.length === 0;
  const med = (figure: (f: RoundFigures) => number) => median(facts.rounds.map(figure)).toFixed(0);
  const rows = facts.rounds.map((f, i) =>
    `| ${i + 1} | ${n(f.floorPerSecond)} | ${n(f.pingPerSecond)} | ${n(f.issuedPerSecond)} | ${r(f.issuedPerSecond / f.floorPerSecond)} | ${r(f.issuedPerSecond / f.pingPerSecond)} | ${f.p50Ms.toFixed(1)} | ${f.p99Ms.toFixed(1)} |`);
  return [
    '# Issuing host credentials (`npm run bench host-secrets`)',
    '',
    `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.versions.node} (c-ares ${process.versions.ares}), ${facts.dnsmasqVersion}; load average at start ${facts.loadAtStart.map((l) => l.toFixed(2)).join(' ')}; CPUs ${(facts.busyAtStart * 100).toFixed(0)}% busy with other work before the run, ${(facts.busyAtEnd * 100).toFixed(0)}% after; bench processes at ${facts.priority}. Took ${facts.seconds.toFixed(0)} s.`,
    '',
    `**Result: ${met ? 'target met' : 'TARGET NOT MET'}** — credentials issued ${n(issued)}/s against a floor of ${n(floor)} look-up pairs/s: ratio **${r(ratio)}×** (median of per-round ratios), target ≥ ${facts.target}× (performance.md, "Issuing host credentials").`,
    '',
    '## Setup',
    `- dnsmasq on 127.0.0.1 (its own hosts file only, no upstream, TTL 0 so no resolver cache helps) holding ${n(facts.hosts)} hosts h<i>.bench.test on 127.1.x.y, PTR and A.`,
    `- Floor: Node's resolver (node:dns Resolver, c-ares) doing only the PTR and A look-ups for every host, ${facts.concurrency} in flight, a fresh resolver per slice.`,
    `- Gateway: the real \`host-secrets\` bin, compiled and run by plain node as deployed, in its own process, default settings (rate limit on, logs at info to a file: one audit line per credential issued); every host asks \`GET /v1/credentials\` once per round on its own connection from its own loopback address, ${facts.concurrency} in flight.`,
    `- Ping: the same server's \`GET /v1/ping\` from the same addresses, one new connection each: what HTTP alone costs, no DNS, no credentials (with its one request log line).`,
    `- The load generator for the ping and credentials rows is ${facts.generator}; it writes and reads raw HTTP/1.1, one new connection per request bound to the host's address, reading each answer to EOF, and hands every status, latency and body to the checks below. It shares the machine's 2 cores with the gateway and dnsmasq while the floor has no client at all, so each µs it spends is taken from the gateway's rows.`,
    `- ${facts.warmUpRounds} warm-up round, then ${facts.rounds.length} measured rounds. Within a round the floor, ping and credentials take turns slice by slice (${facts.slice} hosts each), so all three see the same moment of a shared machine's load; ratios are taken within a round.`,
    '',
    '## Rounds',
    '| round | floor: PTR + A pairs/s | ping/s (HTTP only) | credentials issued/s | issued ÷ floor | issued ÷ ping | issue p50 ms | issue p99 ms |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    `| **median** | **${n(floor)}** | **${n(ping)}** | **${n(issued)}** | **${r(ratio)}** | ${r(issued / ping)} | | |`,
    '',
    '## CPU per operation',
    'CPU time (user + system) of the process doing the work, divided by the hosts served: steadier than rates on a shared machine. The load generator\'s is its own, over its requests alone. The gateway\'s figures count all its threads; its main thread (the event loop serving HTTP) is also shown alone. dnsmasq\'s own CPU is not counted.',
    '',
    '| round | floor: resolver µs per PTR + A pair | gateway µs per ping | gateway µs per credential issued | of which main thread | load generator µs per ping | load generator µs per credential |',
    '|---|---|---|---|---|---|---|',
    ...facts.rounds.map((f, i) => `| ${i + 1} | ${f.floorCpuUs.toFixed(0)} | ${f.pingCpuUs.toFixed(0)} | ${f.issueCpuUs.toFixed(0)} | ${f.issueMainThreadCpuUs.toFixed(0)} | ${f.loadPingCpuUs.toFixed(0)} | ${f.loadIssueCpuUs.toFixed(0)} |`),
    `| **median** | **${med((f) => f.floorCpuUs)}** | **${med((f) => f.pingCpuUs)}** | **${med((f) => f.issueCpuUs)}** | **${med((f) => f.issueMainThreadCpuUs)}** | ${med((f) => f.loadPingCpuUs)} | ${med((f) => f.loadIssueCpuUs)} |`,
    '',
    '## Reading the figures',
    `- HTTP alone, one new connection per request, reaches ${r(ping / floor)}× the floor: the gateway's credentials route runs at ${r(issued / ping)}× its own ping. Issuing costs ${median(facts.rounds.map((f) => f.issueCpuUs - f.pingCpuUs)).toFixed(0)} µs of gateway CPU more than a ping: the two look-ups (the floor's ${med((f) => f.floorCpuUs)} µs when 64 pairs are always in flight), the named credentials (two HMACs, a seed), the audit line, the rate limiter and the two messages to and from the issuing thread.`,
    `- The gateway proves hosts and signs on an issuing thread, beside the event loop serving HTTP (${med((f) => f.issueMainThreadCpuUs)} µs per credential), so it uses both cores; what bounds its rate is then the machine's CPU as a whole: the gateway's ${med((f) => f.issueCpuUs)} µs, the load generator's ${med((f) => f.loadIssueCpuUs)} µs and dnsmasq's share per credential, on 2 cores. The floor spends its CPU on the resolver and dnsmasq alone.`,
    '',
    '## References',
    '| what | figure | source |',
    '|---|---|---|',
    `| Node resolver floor, this run | ${n(floor)}/s | measured above |`,
    '| Node resolver floor, this kind of machine | 20–25k/s | performance.md |',
    `| target | ≥ ${facts.target}× floor = ${n(facts.target * floor)}/s in this run | performance.md |`,
    `| gateway ping over new connections, this run | ${n(ping)}/s = ${r(ping / floor)}× floor | measured above |`,
    `| gateway, this run | ${n(issued)}/s = ${r(ratio)}× floor | measured above |`,
    '',
    '## Checks',
    `- Issued credentials verified: ${n(facts.verified)} of ${n(facts.hosts * (facts.rounds.length + facts.warmUpRounds))} — each for exactly its host: clientId and the single scope are the bases plus its reversed name, and the auth service's rules (core resolveCredentials) accept it with exactly that scope.`,
    `- Audit lines: ${n(facts.auditLines)} (expected ${n(facts.expectedAuditLines)}); no issued access token appears in the gateway's log.`,
    ...(facts.problems.length ? ['', '## Problems', ...facts.problems.slice(0, 20).map((p) => `- ${p}`)] : []),
    '',
  ].join('\n');
}
