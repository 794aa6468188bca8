/**
 * A loopback fake of the Taskcluster auth service's `authenticateHawk` (POST
 * /api/auth/v1/authenticate-hawk) for remote-auth tests: it verifies the forwarded Hawk
 * material with core verifyRequest over its own clients, and answers as the service does
 * (auth-success / auth-failed / no-auth). `behave` switches it to failing modes.
 */
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { verifyRequest, type ClientDirectory } from '../../src/core/index.js';

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

export async function startFakeAuth(directory: ClientDirectory): Promise<FakeAuth> {
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
    try {
      const caller = await verifyRequest(body, directory);
      if (caller.scheme === 'none') return answer(res, 200, { status: 'no-auth', scheme: 'none', scopes: caller.scopes, expires });
      return answer(res, 200, { status: 'auth-success', clientId: caller.clientId, scopes: caller.scopes, scheme: 'hawk', expires });
    } catch (err) {
      return answer(res, 200, { status: 'auth-failed', message: (err as Error).message });
    }
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
