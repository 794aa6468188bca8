/**
 * The gateway under test, as deployed: the real `taskcluster-gateway` bin, compiled (see
 * compiled-gateway.ts), with only the proxy plugin, permanent credentials and the upstream as
 * root URL, in its own process. Default settings otherwise (log level included), so the figures
 * are what a deployment gets. BENCH_GATEWAY_NODE_OPTIONS adds node flags (e.g. --cpu-prof).
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
    GATEWAY_PLUGINS: 'proxy',
    GATEWAY_IP_ADDRESS: '127.0.0.1',
    PORT: String(port),
    GATEWAY_DATA_DIR: dataDir,
    TASKCLUSTER_ROOT_URL: `http://127.0.0.1:${upstreamPort}`,
    TASKCLUSTER_CLIENT_ID: BENCH_CREDENTIALS.clientId,
    TASKCLUSTER_ACCESS_TOKEN: BENCH_CREDENTIALS.accessToken,
    TASKCLUSTER_CERTIFICATE: '',
  };
  const args = [...(process.env.BENCH_GATEWAY_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []), entry];
  const service = await startListeningProcess('gateway', process.execPath, args, port, env);
  return {
    ...service,
    async close() {
      await stop(service);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
