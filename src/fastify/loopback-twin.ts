/**
 * A listener on a non-loopback address with its twin on 127.0.0.1 at the same port: with
 * --allowed-network, taskcluster-proxy served both, and generic-worker sends its
 * `PUT /credentials` to 127.0.0.1:<port>.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** How many ephemeral ports are tried for a listener and its 127.0.0.1 twin before giving up. */
const TWIN_PORT_TRIES = 10;

function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * `app` at `host`:`port` and `twin` at 127.0.0.1 on the same port. A fixed port is taken on both
 * or the start fails. Port 0 is chosen where it must be free on both: an ephemeral port free on
 * 127.0.0.1 can be taken on the other address (and the other way round), so the pair is tried
 * again on a new one, up to TWIN_PORT_TRIES times.
 */
export async function listenWithLoopbackTwin(app: FastifyInstance, host: string, port: number, twin: Server): Promise<string> {
  if (port !== 0) {
    const url = await app.listen({ host, port });
    await listenOn(twin, port, '127.0.0.1');
    return url;
  }
  for (let tries = 1; ; tries++) {
    await listenOn(twin, 0, '127.0.0.1');
    try {
      return await app.listen({ host, port: (twin.address() as AddressInfo).port });
    } catch (err) {
      await new Promise<void>((resolve) => twin.close(() => resolve()));
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || tries === TWIN_PORT_TRIES) throw err;
    }
  }
}
