/**
 * The one way every bin starts the gateway: load configuration (files, environment, flags,
 * then the preset's overrides), compose, listen, and on SIGTERM/SIGINT close listeners, let
 * requests in flight finish (bounded by shutdownTimeoutMs) and exit 0; on SIGHUP reload the
 * configuration (src/reconfigure.ts).
 * Exit codes: 2 for configuration errors (one line naming the setting) and for a service that
 * did not answer within startupWaitMs (one line naming it), 1 for other start failures.
 */
import { buildGateway, type BuildOptions, type Gateway } from '../server.js';
import { loadConfig, type LoadOptions } from '../config/load.js';
import type { PluginModule } from '../fastify/capability.js';
import { ConfigError } from '../config/settings.js';
import { WaitExpired } from '../core/wait.js';
import { createLogger } from '../log.js';

export interface LaunchOptions {
  /** Name used in error messages (the bin's name). */
  program: string;
  /** Flags for the schema; presets that parse their own flags pass none. */
  argv?: string[];
  configName?: LoadOptions['configName'];
  /** The program's defaults in place of the schema's (LoadOptions.defaults). */
  defaults?: LoadOptions['defaults'];
  /** The capabilities this program can enable. */
  modules: readonly PluginModule<any>[];
  quickstart?: boolean;
  instrumentation?: BuildOptions['instrumentation'];
  /** Called once listening, e.g. to print where things are. */
  onListening?(urls: Record<string, string>, gateway: Gateway): void;
}

export function fail(program: string, message: string, code: number): never {
  process.stderr.write(`${program}: ${message}\n`);
  process.exit(code);
}

/** Close listeners on the first SIGTERM/SIGINT; connections still open after the timeout are cut. */
function closeOnSignals(gateway: Gateway, timeoutMs: number, log: ReturnType<typeof createLogger>): void {
  let closing = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'closing listeners; letting requests in flight finish');
    const cut = setTimeout(() => {
      log.warn({ timeoutMs }, 'shutdown timeout: closing remaining connections');
      for (const { app } of gateway.listeners) app.server.closeAllConnections();
    }, timeoutMs);
    cut.unref();
    await gateway.close();
    clearTimeout(cut);
    log.flush();
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

export async function launch(overrides: Record<string, unknown>, options: LaunchOptions): Promise<Gateway> {
  let gateway: Gateway;
  let log: ReturnType<typeof createLogger>;
  let timeoutMs: number;
  let reloadConfig: () => ReturnType<typeof loadConfig<PluginModule>>;
  // Node's default for SIGHUP ends the process, and systemd does not restart a service ended by
  // it: a reload before the gateway serves has nothing to reload (the start reads the files)
  const beforeServing = () => {};
  process.on('SIGHUP', beforeServing);
  try {
    const load = () => loadConfig({ argv: options.argv ?? [], overrides, configName: options.configName, defaults: options.defaults, modules: options.modules });
    const loaded = load();
    reloadConfig = load;
    log = createLogger(loaded.core.logLevel);
    timeoutMs = loaded.core.shutdownTimeoutMs;
    gateway = await buildGateway(loaded, { log, quickstart: options.quickstart ?? false, instrumentation: options.instrumentation });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof WaitExpired) fail(options.program, err.message, 2);
    throw err;
  }
  let urls: Record<string, string>;
  try {
    urls = await gateway.listen();
  } catch (err) {
    await gateway.close();
    fail(options.program, `cannot listen: ${(err as Error).message}`, 1);
  }
  closeOnSignals(gateway, timeoutMs, log);
  // SIGHUP (systemctl reload) loads the configuration again as at start and applies what can change live
  process.off('SIGHUP', beforeServing);
  process.on('SIGHUP', () => void gateway.reconfigure(reloadConfig));
  log.info({ listeners: urls }, 'taskcluster-gateway listening');
  options.onListening?.(urls, gateway);
  return gateway;
}
