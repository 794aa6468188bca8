/**
 * A configuration reload (SIGHUP): the configuration loaded again as at start (same files,
 * environment and flags, so the files are read afresh), then checked whole as a start checks it
 * (src/configuration-checks.ts: the same checks, the same messages), every running capability's
 * new live settings prepared, then all applied at once. A configuration a start would refuse
 * (a file that does not parse, a value refused, a cycle in roles, a database URL of no known
 * scheme) changes nothing anywhere and is one error line; settings that cannot change while
 * serving (listeners, ports, databases, plugins, Redis) are named in one "needs restart" line,
 * and the rest still applies. The reloader also keeps the configuration in force: the new one
 * with every setting it did not apply put back as it was.
 */
import type { Logger } from 'pino';
import type { GatewayConfig, LoadedConfig } from './config/load.js';
import type { CoreSettings } from './config/schema.js';
import type { GatewayEvents } from './core/events.js';
import type { CommitSettings, CreatedPlugin, PluginModule } from './fastify/capability.js';
import type { TrustedProxies } from './net/trusted-proxies.js';
import { checkConfiguration, moduleSettings, type CheckedCore } from './configuration-checks.js';

/** Core settings applied while serving; every other core setting needs a restart. */
const LIVE_CORE_SETTINGS: readonly string[] = ['logLevel', 'trustedProxies'];

export interface ReloadOutcome {
  result: 'applied' | 'refused';
  /** How many configurations were applied so far: 0 is the one the gateway started with. */
  generation: number;
  /** Changed settings not applied (they need a restart), by dotted path. */
  needsRestart: string[];
  /** Why a refused configuration was refused. */
  error?: string;
}

/** Dotted paths of the leaves (arrays are leaves) whose values differ. */
export function changedSettings(before: Record<string, unknown>, after: Record<string, unknown>, prefix = ''): string[] {
  const changed: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const [a, b] = [before[key], after[key]];
    const path = prefix ? `${prefix}.${key}` : key;
    const isSection = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
    if (isSection(a) && isSection(b)) changed.push(...changedSettings(a as Record<string, unknown>, b as Record<string, unknown>, path));
    else if (JSON.stringify(a) !== JSON.stringify(b)) changed.push(path);
  }
  return changed;
}

export interface ReloaderOptions {
  /** The configuration the gateway started with. */
  started: LoadedConfig<PluginModule>;
  /** Whether it started as the quick start (whose checks let it generate what is missing). */
  quickstart: boolean;
  /** The created capabilities, by name. */
  created: ReadonlyMap<string, CreatedPlugin>;
  log: Logger;
  /** Every logger whose level follows `logLevel` (the root and each listener's). */
  loggers(): Logger[];
  /** The gateway's trusted proxies, every listener's and capability's: a reload swaps their list. */
  trustedProxies: TrustedProxies;
  events: GatewayEvents;
}

export type Reload = (load: () => LoadedConfig<PluginModule>) => Promise<ReloadOutcome>;

export interface Reloader {
  reload: Reload;
  /** The configuration in force: as started, with what the applied reloads changed live. */
  inForce(): GatewayConfig;
}

/** Sets `paths` of `config` back to their values in `before` (the settings a reload did not apply). */
function putBack(config: GatewayConfig, before: GatewayConfig, paths: string[]): GatewayConfig {
  for (const path of paths) config.set(path, before.get(path));
  return config;
}

/** The gateway's reload: one at a time, in the order asked. */
export function configurationReloader({ started, quickstart, created, log, loggers, trustedProxies, events }: ReloaderOptions): Reloader {
  const modules = started.modules.filter((m) => created.has(m.name));
  const live = new Set([...LIVE_CORE_SETTINGS, ...modules.flatMap((m) => m.liveSettings ?? [])]);
  /** Sections whose changes matter: core's and those of the capabilities this gateway runs. */
  const unused = new Set(started.modules.filter((m) => !created.has(m.name)).flatMap((m) => Object.keys(m.schema as object)));
  const startedSettings = started.config.getProperties() as Record<string, unknown>;
  let inForce = started.config;
  let generation = 0;
  let queue: Promise<unknown> = Promise.resolve();

  /** One error line; an error of the checks (which name the setting) also names the files read. */
  const refuse = (err: unknown, files: string[], checked: boolean): ReloadOutcome => {
    const message = (err as Error).message;
    const error = checked && files.length > 0 ? `${message} (config files: ${files.join(', ')})` : message;
    log.error({ files, generation }, `configuration not reloaded, the previous one keeps serving: ${error}`);
    events.count('config-reload', 'refused');
    return { result: 'refused', generation, needsRestart: [], error };
  };

  const reload = async (load: () => LoadedConfig<PluginModule>): Promise<ReloadOutcome> => {
    let next: LoadedConfig<PluginModule>;
    try {
      next = load();
    } catch (err) {
      return refuse(err, started.files, false);
    }
    // checked against what the gateway started with: a restart-only setting is never applied, so that stays in force
    const changed = changedSettings(startedSettings, next.config.getProperties() as Record<string, unknown>);
    const notApplied = changed.filter((path) => !live.has(path));
    const needsRestart = notApplied.filter((path) => !unused.has(path.split('.')[0]!));
    const commits: CommitSettings[] = [];
    let checked: CheckedCore;
    try {
      // the whole configuration, restart-only values too, as a start would check it
      checked = await checkConfiguration(next, quickstart);
      for (const module of modules) {
        const reconfigure = created.get(module.name)!.reconfigure;
        if (reconfigure) commits.push(await reconfigure(moduleSettings(next, module), next.core));
      }
    } catch (err) {
      return refuse(err, next.files, true);
    }
    // every check passed: apply everything, before any request can see half of it
    const level = (next.core as CoreSettings).logLevel;
    for (const logger of loggers()) logger.level = level;
    trustedProxies.use(checked.trustedProxies);
    const applied = commits.map((commit) => commit());
    inForce = putBack(next.config, started.config, notApplied);
    generation += 1;
    events.count('config-reload', 'applied');
    if (needsRestart.length > 0) log.warn({ settings: needsRestart, generation }, `configuration reloaded; needs restart to apply: ${needsRestart.join(', ')}`);
    log.info({ files: next.files, generation }, 'configuration reloaded');
    await Promise.all(applied);
    return { result: 'applied', generation, needsRestart };
  };

  return {
    reload: (load) => {
      const outcome = queue.then(() => reload(load));
      queue = outcome.catch(() => undefined);
      return outcome;
    },
    inForce: () => inForce,
  };
}
