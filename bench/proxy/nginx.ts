/**
 * The reference proxy: Debian's nginx with its own temporary configuration, 1 worker, a
 * keep-alive pool to the upstream and a fixed Authorization header (it cannot sign; a fixed
 * header is the cheapest stand-in). The object paths stream unbuffered both ways, as a streaming
 * proxy must.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianTool, freePort, startListeningProcess, stop, type Service } from './processes.js';

const FIXED_AUTHORIZATION = 'Hawk id=\\"bench/gateway\\", ts=\\"1700000000\\", nonce=\\"abcdef\\", mac=\\"bm90IGEgcmVhbCBtYWMgYnV0IHRoZSByaWdodCBzaXplIQ==\\"';

/** `fixedAuthorization` false: the client's own Authorization passes (a balancer, not a signing proxy). */
function config(dir: string, port: number, upstreamPorts: number[], fixedAuthorization: boolean): string {
  const headers = fixedAuthorization ? `proxy_set_header Authorization "${FIXED_AUTHORIZATION}";` : 'proxy_set_header Host $http_host;';
  return `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  upstream bench_upstream {
${upstreamPorts.map((p) => `    server 127.0.0.1:${p};`).join('\n')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 0;
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      ${headers}
    }
    location /api/object/ {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      ${headers}
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`;
}

export interface Nginx extends Service {
  version: string;
  close(): Promise<void>;
}

/** nginx round-robin over `upstreamPorts` (one or several replicas). */
export async function startNginx(upstreamPorts: number | number[], { fixedAuthorization = true } = {}): Promise<Nginx> {
  const binary = ensureDebianTool('nginx', 'nginx');
  const dir = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
  chmodSync(dir, 0o777); // the worker runs as nobody and may write temp files here
  const port = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), config(dir, port, [upstreamPorts].flat(), fixedAuthorization));
  const version = spawnSync(binary, ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', '');
  const service = await startListeningProcess('nginx', binary, ['-p', dir, '-c', join(dir, 'nginx.conf')], port);
  return {
    ...service,
    version,
    async close() {
      await stop(service);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
