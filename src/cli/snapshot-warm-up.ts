/**
 * The start's path, run once while the single executable's start-up snapshot is taken
 * (scripts/build-sea.mjs): V8 keeps in the snapshot what it compiled and the modules the path
 * loaded on first use (Fastify's schema compilers), so the executable's
 * start does not compile or load them again (bench/results/startup-steps.md).
 *
 * It must leave nothing of the build in the heap: the command line and the configuration are
 * fixed here (no argv, an empty environment), the gateway it builds is closed, its logger writes
 * nowhere. node:http cannot be in a snapshot (scripts/snapshot-builtins.mjs), so each app gets an
 * inert stand-in for its server; nothing listens, nothing is sent.
 */
import { EventEmitter } from 'node:events';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { buildGateway } from '../server.js';
import { parseProgramArgs } from './args.js';
import { launchOptions, overridesOf, type Program } from './program.js';

/** What Fastify calls on a server it was given and does not listen with. */
class InertServer extends EventEmitter {
  listening = false;
  setTimeout(): this {
    return this;
  }
  address(): null {
    return null;
  }
  close(done?: () => void): this {
    done?.();
    return this;
  }
}

/** Flags for `program` as a worker passes them, with values that name nothing real. */
const WARM_UP_ARGV = ['--port', '0', '--root-url', 'http://127.0.0.1:9', '--client-id', 'warm-up', '--access-token', 'warm-up', '--ip-address', '127.0.0.1', 'warm-up:scope'];

const NO_LOAD_SHEDDING = {
  'loadShedding.maxEventLoopDelayMs': 0, 'loadShedding.maxEventLoopUtilization': 0, 'loadShedding.maxHeapUsedBytes': 0, 'loadShedding.maxRssBytes': 0,
};

export async function warmUp(program: Program): Promise<void> {
  // without the event loop's delay histogram (load shedding's): a native handle, which a
  // snapshot cannot hold; the program counts no metrics without an admin listener
  const overrides = { ...overridesOf(program, parseProgramArgs(program, WARM_UP_ARGV)), ...NO_LOAD_SHEDDING };
  const loaded = loadConfig({ ...launchOptions(program), overrides, env: {} });
  const log = createLogger('info', { write() {} });
  const gateway = await buildGateway(loaded, { log, serverFactory: () => new InertServer() as never, instrumentation: program.instrumentation });
  await gateway.close();
}
