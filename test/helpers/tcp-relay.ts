/**
 * A TCP relay a test controls, standing between the gateway and a real server (PostgreSQL):
 * `cut()` is a database that went away (every connection reset, new ones refused), `blackHole()`
 * a partition (connections stay open, nothing passes either way; what was sent waits, as TCP
 * retransmits would, and arrives after `restore()`). It listens on 127.0.0.1:0 and is closed
 * when the test ends.
 */
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

type RelayState = 'open' | 'cut' | 'black-hole';

export interface TcpRelay {
  port: number;
  cut(): void;
  blackHole(): void;
  restore(): void;
}

export async function startTcpRelay(t: Test, target: { host: string; port: number }): Promise<TcpRelay> {
  let state: RelayState = 'open';
  const sockets = new Set<Socket>();

  /** Copies `from` to `to`, holding while the relay is black-holed. */
  const forward = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (state === 'open') from.resume();
    });
    from.on('end', () => to.end());
  };

  const server = createServer((client) => {
    if (state === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
      if (state === 'black-hole') socket.pause();
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      state = 'cut';
      for (const socket of sockets) socket.resetAndDestroy();
    },
    blackHole() {
      state = 'black-hole';
      for (const socket of sockets) socket.pause();
    },
    restore() {
      state = 'open';
      for (const socket of sockets) socket.resume();
    },
  };
}
