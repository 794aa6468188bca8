/**
 * Proxy benchmark (performance.md): the gateway beside direct, nginx and the two Node
 * references, in one run, on 127.0.0.1, every server and load generator in its own process.
 * Writes bench/results/proxy.md. Takes 5–6 minutes.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { compileGateway } from './proxy/compiled-gateway.js';
import { startGateway, type Gateway } from './proxy/gateway.js';
import { startNginx, type Nginx } from './proxy/nginx.js';
import { cpuBusy, machineFacts, priorityFact, raisePriority, waitForQuietMachine } from './proxy/machine.js';
import { benchDir, cpuMicros, peakRssMb, runClient, startNodeService, stop, type Service } from './proxy/processes.js';
import { median, renderReport, type BenchResults, type LatencyRow, type Measured, type OpenLoopResult, type StreamResult, type ThroughputRound, type ThroughputRow } from './proxy/report.js';
import { DOWNLOAD_PATH, SMALL_PATH, UPLOAD_PATH } from './proxy/shared.js';
import { runWrk, wrkVersion } from './proxy/wrk.js';

const WRK_ROUNDS = 5;
const LATENCY_ROUNDS = 5;
const WRK_SECONDS = 5;
const OPEN_LOOP_RATE = 1000;
const OPEN_LOOP_SECONDS = 5;
const STREAM_BYTES = 2 ** 30;
const STREAM_ROUNDS = 3;

const pct = (fraction: number) => `${(fraction * 100).toFixed(0)}%`;
const unavailable = (err: unknown): { unavailable: string } => ({ unavailable: (err as Error).message.split('\n')[0]!.slice(0, 300) });

/** One request through a path: it must answer the upstream's body, signed (or not, for direct) as expected. */
async function preflight(port: number, expectSigned: boolean): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}${SMALL_PATH}`, { signal: AbortSignal.timeout(10_000) });
  const body = await res.arrayBuffer();
  const signed = res.headers.get('x-saw-authorization') === 'hawk';
  if (res.status !== 200 || body.byteLength !== 220 || signed !== expectSigned) {
    throw new Error(`preflight: status ${res.status}, ${body.byteLength} bytes, upstream saw ${res.headers.get('x-saw-authorization')}: ${Buffer.from(body).toString().slice(0, 200)}`);
  }
}

const services: Array<{ close?: () => Promise<void> } & Partial<Service>> = [];
async function closeAll(): Promise<void> {
  for (const s of services.reverse()) await (s.close ? s.close() : stop(s as Service)).catch(() => {});
}

/** CPU taken by other work while this bench's own processes sit idle between phases. */
const otherWork: number[] = [];
const restorePriority = raisePriority();
const sampleOtherWork = async () => { otherWork.push(await cpuBusy(500)); };

async function main(): Promise<void> {
  services.push({ close: async () => restorePriority() });
  const busyAtStart = await waitForQuietMachine(0.25, 20_000);
  const compiled = compileGateway();
  services.push({ close: async () => compiled.remove() });
  const upstream = await startNodeService('upstream', 'upstream.ts', []);
  services.push(upstream);
  console.log(`upstream on ${upstream.port}`);

  const ports: Partial<Record<ThroughputRow, number>> = { direct: upstream.port };
  /** The proxy processes whose CPU per request is measured (direct has none). */
  const proxyPids: Partial<Record<ThroughputRow, number>> = {};
  const failures: Partial<Record<ThroughputRow, string>> = {};
  const start = async (row: ThroughputRow, make: () => Promise<Service & { close?: () => Promise<void> }>, signed: boolean) => {
    try {
      const service = await make();
      services.push(service);
      await preflight(service.port, signed);
      ports[row] = service.port;
      proxyPids[row] = service.child.pid;
      console.log(`${row} on ${service.port}`);
    } catch (err) {
      failures[row] = unavailable(err).unavailable;
      console.log(`${row}: ${failures[row]}`);
    }
  };
  let nginx: Nginx | undefined;
  await start('nginx', async () => (nginx = await startNginx(upstream.port)), true);
  await start('node', () => startNodeService('node-forwarder', 'node-forwarder.ts', [String(upstream.port)]), true);
  await start('fastify', () => startNodeService('fastify-http-proxy', 'fastify-http-proxy.ts', [String(upstream.port)]), true);
  let gateway: Gateway | undefined;
  await start('gateway', async () => (gateway = await startGateway(compiled.entry, upstream.port)), true);
  await preflight(upstream.port, false);

  const rows = (Object.keys(ports) as ThroughputRow[]).filter((row) => ports[row] !== undefined);
  const url = (row: ThroughputRow, path = SMALL_PATH) => `http://127.0.0.1:${ports[row]}${path}`;

  // Small requests: a 2 s warm-up per path (JIT, pools), then interleaved rounds, order rotated.
  for (const row of rows) runWrk(url(row), 2);
  // Each round also takes the CPU time the proxy process used per request: other work on the
  // shared machine moves req/s far more than it moves that.
  const wrkRounds: Partial<Record<ThroughputRow, ThroughputRound[]>> = {};
  for (let round = 0; round < WRK_ROUNDS; round++) {
    await sampleOtherWork();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[(i + round) % rows.length]!;
      const pid = proxyPids[row];
      const cpuBefore = pid === undefined ? 0 : cpuMicros(pid);
      const wrk = runWrk(url(row), WRK_SECONDS);
      const result: ThroughputRound = { ...wrk, proxyCpuUs: pid === undefined ? undefined : (cpuMicros(pid) - cpuBefore) / wrk.requests };
      (wrkRounds[row] ??= []).push(result);
      console.log(`round ${round + 1} ${row}: ${wrk.requestsPerSec.toFixed(0)} req/s${result.proxyCpuUs === undefined ? '' : `, ${result.proxyCpuUs.toFixed(1)} µs CPU/request`}${wrk.errors ? `, ${wrk.errors} errors` : ''}`);
    }
  }

  // Latency, open loop.
  const latencyRows = (['direct', 'gateway', 'nginx'] as LatencyRow[]).filter((row) => ports[row] !== undefined);
  const openLoop: Partial<Record<LatencyRow, OpenLoopResult[]>> = {};
  for (let round = 0; round < LATENCY_ROUNDS; round++) {
    await sampleOtherWork();
    for (let i = 0; i < latencyRows.length; i++) {
      const row = latencyRows[(i + round) % latencyRows.length]!;
      const result = runClient<OpenLoopResult>('open-loop.ts', [url(row), String(OPEN_LOOP_RATE), '1', String(OPEN_LOOP_SECONDS)], 60_000);
      (openLoop[row] ??= []).push(result);
      console.log(`latency round ${round + 1} ${row}: p50 ${result.p50.toFixed(3)} ms, p99 ${result.p99.toFixed(3)} ms`);
    }
  }

  // Streaming, through a fresh gateway so its peak RSS is the streaming's.
  let gatewayRss: BenchResults['gatewayRss'] = { unavailable: failures.gateway ?? 'gateway not started' };
  if (gateway) {
    await gateway.close();
    try {
      gateway = await startGateway(compiled.entry, upstream.port);
      services.push(gateway);
      await preflight(gateway.port, true);
      ports.gateway = gateway.port;
    } catch (err) {
      failures.gateway = unavailable(err).unavailable;
      delete ports.gateway;
    }
  }
  await sampleOtherWork();
  const beforeMb = gateway && ports.gateway ? peakRssMb(gateway.child.pid!) : undefined;
  const streamRows = (['direct', 'nginx', 'gateway'] as LatencyRow[]).filter((row) => ports[row] !== undefined);
  const streamRounds: Partial<Record<LatencyRow, Array<{ down: StreamResult; up: StreamResult }>>> = {};
  const streamFailures: Partial<Record<LatencyRow, string>> = {};
  for (let round = 0; round < STREAM_ROUNDS; round++) {
    for (let i = 0; i < streamRows.length; i++) {
      const row = streamRows[(i + round) % streamRows.length]!;
      if (streamFailures[row]) continue;
      try {
        const down = runClient<StreamResult>('stream-client.ts', ['down', url(row, DOWNLOAD_PATH), String(STREAM_BYTES)], 150_000);
        const up = runClient<StreamResult>('stream-client.ts', ['up', url(row, UPLOAD_PATH), String(STREAM_BYTES)], 150_000);
        (streamRounds[row] ??= []).push({ down, up });
        console.log(`stream round ${round + 1} ${row}: down ${down.mibPerSec.toFixed(0)} MiB/s, up ${up.mibPerSec.toFixed(0)} MiB/s`);
      } catch (err) {
        streamFailures[row] = unavailable(err).unavailable;
      }
    }
  }
  if (gateway && beforeMb !== undefined) gatewayRss = { ok: { beforeMb, peakMb: peakRssMb(gateway.child.pid!) } };

  const measured = <T>(row: ThroughputRow, figures: T | undefined): Measured<T> =>
    figures !== undefined ? { ok: figures } : { unavailable: failures[row] ?? 'not started' };
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: machineFacts({
      nginx: nginx?.version ?? 'not started',
      wrk: wrkVersion(),
      'priority of the bench processes': priorityFact(),
      'CPU busy with other work at start': pct(busyAtStart),
      'between phases (median, max)': `${pct(median(otherWork))}, ${pct(Math.max(...otherWork))}`,
    }),
    caution: busyAtStart >= 0.25 || median(otherWork) >= 0.25
      ? `other work (other people's builds and tests in the shared tree) kept the CPUs ${pct(busyAtStart)} busy at the start and ${pct(median(otherWork))} (median) between phases. `
        + 'The bench ran at raised priority, but absolute figures are depressed and latency tails inflated by it; read the ratios of the interleaved rounds.'
      : undefined,
    settings: { wrkRounds: WRK_ROUNDS, latencyRounds: LATENCY_ROUNDS, wrkSeconds: WRK_SECONDS, openLoopRate: OPEN_LOOP_RATE, openLoopSeconds: OPEN_LOOP_SECONDS, streamBytes: STREAM_BYTES, streamRounds: STREAM_ROUNDS },
    throughput: Object.fromEntries((Object.keys({ direct: 0, nginx: 0, node: 0, fastify: 0, gateway: 0 }) as ThroughputRow[]).map((row) => [row, measured(row, wrkRounds[row])])) as BenchResults['throughput'],
    latency: Object.fromEntries((['direct', 'gateway', 'nginx'] as LatencyRow[]).map((row) => [row, measured(row, openLoop[row])])) as BenchResults['latency'],
    streaming: Object.fromEntries((['direct', 'gateway', 'nginx'] as LatencyRow[]).map((row) => [row, streamRounds[row] && !streamFailures[row]
      ? { ok: streamRounds[row] }
      : { unavailable: streamFailures[row] ?? failures[row] ?? 'not started' }])) as BenchResults['streaming'],
    gatewayRss,
  };
  const resultsDir = join(benchDir, '..', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'proxy.md'), renderReport(results));
  console.log(`wrote ${join(resultsDir, 'proxy.md')}`);
}

try {
  await main();
} finally {
  await closeAll();
}
