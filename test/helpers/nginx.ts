/**
 * Debian's nginx as the balancer in front of gateway replicas: its own configuration and prefix
 * in a temporary directory, one process in the foreground (no daemon, no master: nothing can
 * outlive the test), listening on a loopback port. Round-robin over a keep-alive upstream pool;
 * a request that fails on one replica (connection refused or reset, no answer in time) is passed
 * to the next, as nginx does by default for idempotent methods only (PUT is one: Taskcluster's
 * writes are); a replica's own answer, a 5xx too, goes to the client, as the README's
 * configuration has it. It tells the replicas who the client is with X-Forwarded-For, which they
 * believe from 127.0.0.1 only (--trusted-proxies).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { freePort } from './spawn-bin.js';

/** The nginx binary, or undefined when it is not installed (`apt-get install -y nginx`). */
export function findNginx(): string | undefined {
  for (const binary of ['nginx', '/usr/sbin/nginx']) {
    if (spawnSync(binary, ['-v']).status === 0) return binary;
  }
  return undefined;
}

function config(dir: string, port: number, upstreams: number[]): string {
  return `
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  log_format upstreams '$request_method $uri $status upstream=$upstream_addr upstream_status=$upstream_status';
  access_log ${dir}/access.log upstreams;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream gateways {
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=30s;`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://gateways;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 2s;
    }
  }
}
`;
}

export interface Balancer {
  url: string;
  /** Access log lines so far: `METHOD /uri status upstream=<addr[, addr]> upstream_status=<s[, s]>`. */
  accessLog(): string[];
}

/** nginx in front of `upstreams` (ports on 127.0.0.1), its files in `dir`, stopped when the test ends. */
export async function startBalancer(t: Test, binary: string, upstreams: number[], dir: string): Promise<Balancer> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), config(dir, port, upstreams));
  const child = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  const errorLog = () => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${stderr}${errorLog()}`);
    try {
      await fetch(`${url}/__lbheartbeat__`);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    accessLog: () => {
      try {
        return readFileSync(join(dir, 'access.log'), 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
  };
}
