import { startNodeService, stop } from '../../../bench/proxy/processes.js';
import { startGateway } from '../../../bench/proxy/gateway.js';
import { runWrk } from '../../../bench/proxy/wrk.js';
import { SMALL_PATH } from '../../../bench/proxy/shared.js';
import { readFileSync } from 'node:fs';
const cpu = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const pids: Record<string, number> = {};
const which = (process.env.ROWS ?? 'node,bare,gateway').split(',');
const upstream = await startNodeService('upstream', 'upstream.ts', []);
const ports: Record<string, number> = {};
const svcs: any[] = [upstream];
if (which.includes('node')) { const s = await startNodeService('node', 'node-forwarder.ts', [String(upstream.port)]); svcs.push(s); ports.node = s.port; pids.node = s.child.pid!; }
if (which.includes('fastify')) { const s = await startNodeService('fastify', 'fastify-http-proxy.ts', [String(upstream.port)]); svcs.push(s); ports.fastify = s.port; pids.fastify = s.child.pid!; }
if (which.includes('bare')) { const s = await startNodeService('bare', '../../test/plugins/proxy/_perf-bare.ts', [String(upstream.port)]); svcs.push(s); ports.bare = s.port; pids.bare = s.child.pid!; }
if (which.includes('gateway')) { const s = await startGateway(upstream.port); svcs.push(s); ports.gateway = s.port; pids.gateway = s.child.pid!; }
const rows = Object.keys(ports);
for (const r of rows) runWrk(`http://127.0.0.1:${ports[r]}${SMALL_PATH}`, 2);
const res: Record<string, number[]> = {};
for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) for (const r of rows) {
  const c0 = cpu(pids[r]!);
  const w = runWrk(`http://127.0.0.1:${ports[r]}${SMALL_PATH}`, 4);
  const us = ((cpu(pids[r]!) - c0) * 1000) / (w.requestsPerSec * 4);
  (res[r] ??= []).push(Math.round(us * 10) / 10);
  console.log(round, r, Math.round(w.requestsPerSec), 'req/s', us.toFixed(1), 'cpu us/req', w.errors);
}
console.log(JSON.stringify(res));
for (const s of svcs) await (s.close ? s.close() : stop(s));
process.exit(0);
