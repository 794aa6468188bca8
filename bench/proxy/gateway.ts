/**
 * The gateway under test, as deployed: the real `taskcluster-proxy` bin (the sidecar that
 * generic-worker launches: proxy, /bewit and /credentials, nothing else loaded), compiled (see
 * compiled-gateway.ts), launched with generic-worker's arguments, permanent credentials in the
 * environment and the upstream as root URL, in its own process. Default settings otherwise (log
 * level included), so the figures are what a deployment gets. BENCH_GATEWAY_NODE_OPTIONS adds
 * node flags (e.g. --cpu-prof).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_CREDENTIALS } from './shared.js';
import { freePort, startListeningProcess, stop, type Service } from './processes.js';

export interface Gateway extends Service {
  close(): Promise<void>;
}

/** `entry`: the compiled bin, from compileGateway(). */
export async function startGateway(entry: string, upstreamPort: number): Promise<Gateway> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    GATEWAY_DATA_DIR: dataDir,
    TASKCLUSTER_CLIENT_ID: BENCH_CREDENTIALS.clientId,
    TASKCLUSTER_ACCESS_TOKEN: BENCH_CREDENTIALS.accessToken,
    TASKCLUSTER_CERTIFICATE: '',
  };
  const args = [
    ...(process.env.BENCH_GATEWAY_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []),
    entry, '--port', String(port), '--root-url', `http://127.0.0.1:${upstreamPort}`, '--ip-address', '127.0.0.1',
  ];
  const service = await startListeningProcess('gateway', process.execPath, args, port, env);
  return {
    ...service,
    async close() {
      await stop(service);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
