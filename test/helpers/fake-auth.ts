/**
 * A loopback fake of the Taskcluster auth service's `authenticateHawk` (POST
 * /api/auth/v1/authenticate-hawk) for remote-auth tests: it verifies the forwarded Hawk
 * material as the service does (./signature-validator.ts, not the gateway's core), and answers
 * (auth-success / auth-failed / no-auth). `behave` switches it to failing modes.
 */
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { signatureValidator, type ValidatorOptions } from './signature-validator.js';

export type FakeAuthBehaviour = 'verify' | 'hang' | 'error';

export interface FakeAuth {
  rootUrl: string;
  /** Bodies received, in order. */
  calls: Array<Record<string, unknown>>;
  behave(behaviour: FakeAuthBehaviour): void;
  close(): Promise<void>;
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startFakeAuth(directory: ValidatorOptions): Promise<FakeAuth> {
  const validate = signatureValidator(directory);
  let behaviour: FakeAuthBehaviour = 'verify';
  const calls: Array<Record<string, unknown>> = [];
  const sockets = new Set<Socket>();
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    if (req.method !== 'POST' || req.url !== '/api/auth/v1/authenticate-hawk') return answer(res, 404, { code: 'ResourceNotFound', message: 'no such route' });
    const body = JSON.parse(text) as { method: string; resource: string; host: string; port: number; authorization?: string };
    calls.push(body);
    if (behaviour === 'hang') return;
    if (behaviour === 'error') return answer(res, 500, { code: 'InternalServerError', message: 'boom' });
    const expires = new Date(Date.now() + 3600_000).toJSON();
    const result = await validate(body);
    if (result.status === 'auth-failed') return answer(res, 200, { status: 'auth-failed', message: result.message });
    if (result.status === 'no-auth') return answer(res, 200, { status: 'no-auth', scheme: 'none', scopes: result.scopes, expires });
    return answer(res, 200, { status: 'auth-success', clientId: result.clientId, scopes: result.scopes, scheme: 'hawk', expires, ...(result.hash ? { hash: result.hash } : {}) });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    rootUrl: `http://127.0.0.1:${port}`,
    calls,
    behave: (next) => {
      behaviour = next;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
