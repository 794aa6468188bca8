/**
 * A configuration reload (SIGHUP): the configuration loaded again as at start (same files,
 * environment and flags, so the files are read afresh), every capability's new settings checked
 * first, then all applied at once. A bad new configuration (a file that does not parse, a value
 * refused, a cycle in roles) changes nothing anywhere and is one error line; settings that cannot
 * change while serving (listeners, ports, databases, plugins, Redis) are named in one
 * "needs restart" line, and the rest still applies.
 */
import type { Logger } from 'pino';
import type { LoadedConfig } from './config/load.js';
import type { CoreSettings } from './config/schema.js';
import type { GatewayEvents } from './core/events.js';
import type { CommitSettings, CreatedPlugin, PluginModule } from './fastify/capability.js';

/** Core settings applied while serving; every other core setting needs a restart. */
const LIVE_CORE_SETTINGS: readonly string[] = ['logLevel'];

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

/** Module settings as its `create` and `reconfigure` take them: the sections its schema owns. */
export function moduleSettings(loaded: LoadedConfig<PluginModule>, module: PluginModule): any {
  return Object.fromEntries(Object.keys(module.schema as object).map((section) => [section, loaded.config.get(section)]));
}

export interface ReloaderOptions {
  /** The configuration the gateway started with. */
  started: LoadedConfig<PluginModule>;
  /** The created capabilities, by name. */
  created: ReadonlyMap<string, CreatedPlugin>;
  log: Logger;
  /** Every logger whose level follows `logLevel` (the root and each listener's). */
  loggers(): Logger[];
  events: GatewayEvents;
}

export type Reload = (load: () => LoadedConfig<PluginModule>) => Promise<ReloadOutcome>;

/** The gateway's reload: one at a time, in the order asked. */
export function configurationReloader({ started, created, log, loggers, events }: ReloaderOptions): Reload {
  const modules = started.modules.filter((m) => created.has(m.name));
  const live = new Set([...LIVE_CORE_SETTINGS, ...modules.flatMap((m) => m.liveSettings ?? [])]);
  /** Sections whose changes matter: core's and those of the capabilities this gateway runs. */
  const unused = new Set(started.modules.filter((m) => !created.has(m.name)).flatMap((m) => Object.keys(m.schema as object)));
  const startedSettings = started.config.getProperties() as Record<string, unknown>;
  let generation = 0;
  let queue: Promise<unknown> = Promise.resolve();

  const refuse = (err: unknown, files: string[]): ReloadOutcome => {
    const error = (err as Error).message;
    log.error({ files, generation }, `configuration not reloaded, the previous one keeps serving: ${error}`);
    events.count('config-reload', 'refused');
    return { result: 'refused', generation, needsRestart: [], error };
  };

  const reload = async (load: () => LoadedConfig<PluginModule>): Promise<ReloadOutcome> => {
    let next: LoadedConfig<PluginModule>;
    try {
      next = load();
    } catch (err) {
      return refuse(err, started.files);
    }
    // checked against what the gateway started with: a restart-only setting is never applied, so that stays in force
    const changed = changedSettings(startedSettings, next.config.getProperties() as Record<string, unknown>)
      .filter((path) => !unused.has(path.split('.')[0]!));
    const needsRestart = changed.filter((path) => !live.has(path));
    const commits: CommitSettings[] = [];
    try {
      for (const module of modules) {
        const reconfigure = created.get(module.name)!.reconfigure;
        if (reconfigure) commits.push(await reconfigure(moduleSettings(next, module), next.core));
      }
    } catch (err) {
      return refuse(err, next.files);
    }
    // every check passed: apply everything, before any request can see half of it
    const level = (next.core as CoreSettings).logLevel;
    for (const logger of loggers()) logger.level = level;
    const applied = commits.map((commit) => commit());
    generation += 1;
    events.count('config-reload', 'applied');
    if (needsRestart.length > 0) log.warn({ settings: needsRestart, generation }, `configuration reloaded; needs restart to apply: ${needsRestart.join(', ')}`);
    log.info({ files: next.files, generation }, 'configuration reloaded');
    await Promise.all(applied);
    return { result: 'applied', generation, needsRestart };
  };

  return (load) => {
    const outcome = queue.then(() => reload(load));
    queue = outcome.catch(() => undefined);
    return outcome;
  };
}
