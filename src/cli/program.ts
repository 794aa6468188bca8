/**
 * What every bin does with its command line, in one place: parse it (src/cli/args.ts), answer
 * --help, --version and --print-config, else start; a usage or configuration error, or a
 * service not answering within startupWaitMs, exits 2 with one line; any other start failure 1.
 */
import { loadConfig, printableConfig } from '../config/load.js';
import type { CoreSettings } from '../config/schema.js';
import type { BuildOptions } from '../server.js';
import { ConfigError } from '../config/settings.js';
import { WaitExpired } from '../core/wait.js';
import { parseProgramArgs, UsageError, type ParsedArgs, type ProgramSpec } from './args.js';
import { helpText } from './help.js';
import { fail, type LaunchOptions } from './launch.js';

/** What an own flag of a program (the gateway's --quickstart) puts on top of the configuration. */
export interface Preset {
  overrides: Record<string, unknown>;
  /** Defaults in place of the program's. */
  defaults?: Record<string, unknown>;
  /** Lines to print once listening. */
  notes: string[];
}

export interface Program extends ProgramSpec {
  /** The --version line. */
  version(): string;
  /** Settings from the command line beyond its setting flags (positionals, own flags). */
  settings?(parsed: ParsedArgs): Record<string, unknown>;
  /**
   * What the command line's own flags put on top of the configuration `base` gives, read by a
   * start and by --print-config alike, so that both show one configuration; `making` false
   * (--print-config) creates nothing; `configured` reads any other setting `base` came with.
   */
  preset?(parsed: ParsedArgs, base: CoreSettings, making: boolean, configured: (path: string) => unknown): Preset | undefined;
  /** When it counts requests and documents its listeners (BuildOptions.instrumentation; default always). */
  instrumentation?: BuildOptions['instrumentation'];
}

/** The command line's settings on top of the program's fixed ones: launch()'s overrides. */
export function overridesOf(program: Program, parsed: ParsedArgs): Record<string, unknown> {
  return { ...program.fixed, ...parsed.settings, ...program.settings?.(parsed) };
}

/** What launch() and loadConfig() need to know of the program. */
export function launchOptions(program: Program): Pick<LaunchOptions, 'program' | 'modules' | 'configName' | 'defaults' | 'instrumentation'> {
  return { program: program.name, modules: program.modules, configName: program.configName, defaults: program.defaults, instrumentation: program.instrumentation };
}

/** The overrides and defaults of a start (or of --print-config: `making` false), the program's preset applied. */
export function presetOf(program: Program, parsed: ParsedArgs, making: boolean, env: NodeJS.ProcessEnv = process.env): { overrides: Record<string, unknown>; defaults: Record<string, unknown> | undefined; notes: string[] } {
  const overrides = overridesOf(program, parsed);
  if (!program.preset) return { overrides, defaults: program.defaults, notes: [] };
  const { config, core } = loadConfig({ env, modules: program.modules, configName: program.configName, defaults: program.defaults, overrides });
  const preset = program.preset(parsed, core, making, (path) => config.get(path as never));
  if (!preset) return { overrides, defaults: program.defaults, notes: [] };
  return { overrides: { ...overrides, ...preset.overrides }, defaults: { ...preset.defaults, ...program.defaults }, notes: preset.notes };
}

/**
 * The configuration as --print-config shows it: what the files, the environment and the flags
 * say now, which is what a start would load, and a reload too. A running gateway may have another
 * in force (a file edited since, a restart-only setting a reload did not apply): its admin
 * listener serves that one at /config, printed the same way. --print-config does not ask a
 * running gateway: it is a command-line check of a configuration, answering the same whether
 * one runs or not (and one run by systemd has an environment of its own).
 */
export function printedConfig(program: Program, parsed: ParsedArgs, env: NodeJS.ProcessEnv = process.env): string {
  // what the program's own flags put on top too (--quickstart's listeners, clients, log level)
  const { overrides, defaults } = presetOf(program, parsed, false, env);
  const { config } = loadConfig({ env, modules: program.modules, configName: program.configName, defaults, overrides });
  return printableConfig(config);
}

/** The exit code and one line for an error before serving. */
export function exitFor(program: string, err: unknown): never {
  const usage = err instanceof UsageError || err instanceof ConfigError || err instanceof WaitExpired;
  fail(program, (err as Error).message.split('\n')[0]!, usage ? 2 : 1);
}

/**
 * Runs the program: --help, --version and --print-config print and return; otherwise `start`
 * gets the parsed command line.
 */
export async function runProgram(program: Program, argv: string[], start: (parsed: ParsedArgs) => Promise<void>): Promise<void> {
  // a reader that stops early (`--help | head`) is no failure of ours, as for any Unix tool
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  try {
    const parsed = parseProgramArgs(program, argv);
    if (parsed.own.help) process.stdout.write(helpText(program));
    else if (parsed.own.version) process.stdout.write(`${program.version()}\n`);
    else if (parsed.own['print-config']) process.stdout.write(printedConfig(program, parsed));
    else await start(parsed);
  } catch (err) {
    exitFor(program.name, err);
  }
}
