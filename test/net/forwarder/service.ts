/**
 * The upstream of the forwarding cases: a node:http service on 127.0.0.1, port 0, whose answer
 * to each path a case sets (`on`), recording what arrived and on which connection. Paths with no
 * behaviour get the echo of what arrived (method, path, headers, body).
 *
 *   const service = await startService(t);
 *   service.on('/api/svc/v1/a', (req, res) => res.end('hi'));
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Test } from 'tap';

export interface Arrival {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Which connection it came on: 1 for the service's first, and so on. */
  connection: number;
  /** Requests that connection had carried before this one. */
  before: number;
  /** Settles true when the service's answer was cut short by the other side going away. */
  cancelled: Promise<boolean>;
}

export type Behaviour = (req: IncomingMessage, res: ServerResponse, arrival: Arrival) => void;

export interface Service {
  url: string;
  arrivals: Arrival[];
  /** Answer `path` this way from now on. */
  on(path: string, behaviour: Behaviour): void;
  /** The next arrival at `path`. */
  next(path: string): Promise<Arrival>;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The default answer: what arrived, as JSON. */
export const echo: Behaviour = (req, res, arrival) => {
  readBody(req).then((body) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: arrival.method, path: arrival.path, headers: arrival.headers, body: body.toString('latin1') }));
  }, () => res.destroy());
};

export async function startService(t: Test): Promise<Service> {
  const behaviours = new Map<string, Behaviour>();
  const waiting = new Map<string, Array<(arrival: Arrival) => void>>();
  const arrivals: Arrival[] = [];
  const connections = new Map<Socket, { id: number; served: number }>();
  let count = 0;
  const server = createServer((req, res) => {
    const connection = connections.get(req.socket)!;
    const path = (req.url ?? '/').split('?')[0]!;
    const arrival: Arrival = {
      method: req.method!,
      path,
      headers: req.headers,
      connection: connection.id,
      before: connection.served++,
      cancelled: new Promise((resolve) => res.once('close', () => resolve(!res.writableFinished))),
    };
    arrivals.push(arrival);
    for (const resolve of waiting.get(path)?.splice(0) ?? []) resolve(arrival);
    (behaviours.get(path) ?? echo)(req, res, arrival);
  });
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { id: ++count, served: 0 });
    socket.once('close', () => connections.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    for (const socket of connections.keys()) socket.destroy();
    server.close();
    await once(server, 'close');
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    on: (path, behaviour) => behaviours.set(path, behaviour),
    next: (path) => new Promise((resolve) => waiting.set(path, [...(waiting.get(path) ?? []), resolve])),
  };
}
