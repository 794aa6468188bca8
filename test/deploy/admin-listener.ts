/**
 * A built taskcluster-proxy started with --admin-port, as an operator would: the admin listener
 * serves /metrics, /config (token masked) and the OpenAPI documents; the Swagger UI page at
 * /docs/ where @fastify/swagger-ui is installed beside the build (the dist bin), and not, with one
 * log line saying so, where it cannot be (the single executable carries no node_modules).
 */
import type { Test } from 'tap';
import { freePort, start, waitForPort } from './processes.js';

export async function checkAdminListener(t: Test, command: string, leadingArgs: string[], cwd: string, docsPage: boolean): Promise<void> {
  const port = await freePort();
  const adminPort = await freePort();
  const running = start(command, [...leadingArgs, '--ip-address', '127.0.0.1', '--port', String(port),
    '--admin-port', String(adminPort), '--root-url', 'http://127.0.0.1:1', '--client-id', 'project/worker', '--access-token', 'built-admin-token'], {
    cwd, env: { PATH: process.env.PATH, GATEWAY_MAX_EVENT_LOOP_DELAY_MS: '0' },
  });
  t.teardown(() => { running.child.kill('SIGKILL'); });
  await waitForPort(adminPort, running);
  const admin = `http://127.0.0.1:${adminPort}`;
  t.match(await (await fetch(`${admin}/metrics`)).text(), /gateway_process_cpu_user_seconds_total/, '/metrics');
  const config = await (await fetch(`${admin}/config`)).text();
  t.match(config, /"adminPort": \d+/, '/config');
  t.notMatch(config, /built-admin-token/, '/config masks the token');
  t.equal((await fetch(`${admin}/openapi/main.json`)).status, 200, '/openapi/main.json');
  const docs = await fetch(`${admin}/docs/`);
  if (docsPage) {
    t.equal(docs.status, 200, '/docs/');
    t.match(await docs.text(), /Swagger UI/);
    t.equal((await fetch(`${admin}/docs/static/logo.svg`)).status, 200, "swagger-ui's own files");
  } else {
    t.equal(docs.status, 404, 'no /docs/ page without @fastify/swagger-ui installed');
    t.match(running.output(), /no \/docs\/ page: @fastify\/swagger-ui is not installed beside this build/, 'said once in the log');
  }
  t.notMatch(running.output(), /built-admin-token/, 'the token never logged');
}
