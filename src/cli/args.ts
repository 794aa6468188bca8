/**
 * The one argument layer of every bin, on Node's util.parseArgs (tokens mode: it splits
 * `--flag=value`, `--flag value`, `-p80`, `--`; we own the checks, so every usage error is one
 * line naming the flag as typed). The flags come from the convict schema: a program exposes the
 * settings of its modules under their schema names (`arg`) unless it renames or hides them, so a
 * new setting gets its flag, its check and its help line with nothing written here.
 */
import { parseArgs } from 'node:util';
import convict from 'convict';
import { gatewaySchema } from '../config/load.js';
import type { PluginModule } from '../fastify/capability.js';

/** A command line the program refuses: exit 2, this one line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** How a program names one schema setting on its command line. */
export interface SettingFlagName {
  /** Long name without dashes. */
  flag: string;
  short?: string;
  /** An empty value leaves the setting to the environment and files (taskcluster-proxy's `[default: ]`). */
  emptyIsUnset?: boolean;
  /** A check the schema's format does not make: the expectation, or undefined when the value is fine. */
  check?(value: string): string | undefined;
}

/** A flag of the program itself, not a setting (--help, --task-id, --relengapi-host). */
export interface OwnFlag {
  flag: string;
  short?: string;
  type: 'boolean' | 'string';
  /** Placeholder in --help, e.g. <taskId>. */
  value?: string;
  doc: string;
}

export interface Positionals {
  /** In the synopsis and messages, e.g. `<scope>...` or `-- <taskId>`. */
  name: string;
  min: number;
  max: number;
  /** What is wrong with the words given (a command that does not exist), or undefined. */
  check?(words: string[]): string | undefined;
}

/** What a bin is, as data: its flags, defaults and usage, from which parsing and --help follow. */
export interface ProgramSpec {
  name: string;
  /** One paragraph: what the program does. */
  summary: string;
  /** Usage lines after the program name, e.g. `[flags] [<scope>...]`. */
  usage: string[];
  modules: readonly PluginModule<any>[];
  /** config/<configName>.yml is the program's own file. */
  configName?: string;
  /** Settings (dotted keys, or whole sections) that are not flags: unused by the program, or set from its positionals or own flags. */
  hidden?: string[];
  /** Flag names different from the schema's `arg`, by dotted key. */
  names?: Record<string, SettingFlagName>;
  /** The program's defaults in place of the schema's (shown in --help). */
  defaults?: Record<string, unknown>;
  /** Settings the program fixes (never flags). */
  fixed?: Record<string, unknown>;
  own?: OwnFlag[];
  positionals?: Positionals;
  /** Text after the flag list. */
  notes?: string;
}

/** A setting's schema entry, found by dotted key. */
export interface SettingInfo {
  key: string;
  spec: { doc?: string; format?: unknown; default: unknown; env?: string; arg?: string; sensitive?: boolean };
}

export interface Flag {
  long: string;
  short?: string;
  /** The setting this flag sets; undefined for the program's own flags. */
  setting?: SettingInfo;
  name?: SettingFlagName;
  own?: OwnFlag;
  boolean: boolean;
}

/** Flags every program has. */
export const COMMON_FLAGS: OwnFlag[] = [
  { flag: 'help', short: 'h', type: 'boolean', doc: 'Print this help and exit' },
  { flag: 'version', type: 'boolean', doc: 'Print the version and exit' },
  { flag: 'print-config', type: 'boolean', doc: 'Print the configuration the files, environment and flags give now (sensitive values masked) and exit; a running gateway serves the one in force at its admin listener\'s /config' },
];

function settings(node: Record<string, unknown>, prefix = ''): SettingInfo[] {
  return Object.entries(node).flatMap(([key, value]) => {
    if (!value || typeof value !== 'object') return [];
    const path = prefix ? `${prefix}.${key}` : key;
    return 'default' in value ? [{ key: path, spec: value as SettingInfo['spec'] }] : settings(value as Record<string, unknown>, path);
  });
}

/** The program's flags in schema order, then its own, then the common ones. */
export function programFlags(program: ProgramSpec): Flag[] {
  const hidden = [...(program.hidden ?? []), ...Object.keys(program.fixed ?? {})];
  const flags: Flag[] = [];
  for (const setting of settings(gatewaySchema(program.modules, program.defaults))) {
    if (hidden.some((h) => setting.key === h || setting.key.startsWith(`${h}.`))) continue;
    const name = program.names?.[setting.key] ?? (setting.spec.arg ? { flag: setting.spec.arg } : undefined);
    if (!name) continue;
    flags.push({ long: name.flag, short: name.short, setting, name, boolean: setting.spec.format === Boolean });
  }
  for (const own of [...(program.own ?? []), ...COMMON_FLAGS]) flags.push({ long: own.flag, short: own.short, own, boolean: own.type === 'boolean' });
  const seen = new Set<string>();
  for (const f of flags) {
    for (const n of [f.long, f.short]) {
      if (n === undefined) continue;
      if (seen.has(n)) throw new Error(`${program.name}: flag ${n} is declared twice`);
      seen.add(n);
    }
  }
  return flags;
}

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false };

/** What a value of each format must be, in words for the error line. */
const EXPECTED: Record<string, string> = {
  port: 'a port number (0-65535)',
  nat: 'a whole number (0 or more)',
  int: 'a whole number',
  fraction: 'a number from 0 to 1',
  'listener-list': 'a JSON list of {name, host, port, plugins}',
  'optional-scope-list': 'a JSON array of scopes',
  'taskcluster-client-id': 'a Taskcluster clientId (letters, digits and !@/:.+|_-)',
  'taskcluster-certificate': 'a Taskcluster certificate as JSON, or empty for permanent credentials',
};

function expectation(format: unknown): string {
  if (format === Number) return 'a number';
  if (format === Boolean) return 'true or false';
  if (Array.isArray(format)) return `one of ${format.join(', ')}`;
  if (typeof format === 'string') return EXPECTED[format] ?? `a value of format ${format}`;
  return 'a valid value';
}

/**
 * One flag value as its setting: coerced and checked by the schema's own format (a one-setting
 * convict schema), so a flag accepts exactly what the environment variable accepts.
 */
function settingValue(typed: string, flag: Flag, raw: string): unknown {
  const { spec } = flag.setting!;
  // a sensitive value is never echoed, however wrong
  const refuse = (what = expectation(spec.format)): never => {
    throw new UsageError(`${typed}: expected ${what}, got ${spec.sensitive ? 'something else (not shown: sensitive)' : JSON.stringify(raw)}`);
  };
  const problem = flag.name?.check?.(raw);
  if (problem) refuse(problem);
  if (spec.format === Boolean) {
    const value = BOOLEAN_WORDS[raw.toLowerCase()];
    return value ?? refuse();
  }
  if (spec.format === Array) return raw.split(/[\s,]+/).filter((v) => v !== '');
  if (raw.trim() === '' && (spec.format === Number || spec.format === 'port' || spec.format === 'nat' || spec.format === 'int')) refuse();
  // convict's Number takes NaN
  if (spec.format === Number && !Number.isFinite(Number(raw))) refuse();
  try {
    const one = convict<{ value: unknown }>({ value: { format: spec.format as any, default: spec.default } } as any, { args: [], env: {} });
    one.set('value' as any, raw as any);
    one.validate();
    return one.get('value');
  } catch {
    return refuse();
  }
}

export interface ParsedArgs {
  /** Dotted keys from setting flags (each given once, a list's values comma-separated in one flag). */
  settings: Record<string, unknown>;
  /** The program's own flags that were given, by long name. */
  own: Record<string, string | boolean>;
  positionals: string[];
}

/** The command line as settings, own flags and positionals; UsageError (one line) when it is wrong. */
export function parseProgramArgs(program: ProgramSpec, argv: string[]): ParsedArgs {
  const flags = programFlags(program);
  const longs = new Map(flags.map((f) => [f.long, f]));
  const shorts = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const options = Object.fromEntries(flags.map((f) => [f.long, { type: f.boolean ? 'boolean' : 'string', ...(f.short ? { short: f.short } : {}) }])) as Record<string, { type: 'boolean' | 'string'; short?: string }>;
  let tokens;
  try {
    ({ tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true }));
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
  // `--port --log-level` is a missing value, `--port -1` a wrong one
  const isFlag = (word: string) => (word.startsWith('--') ? longs.has(word.slice(2).split('=')[0]!) : word.startsWith('-') && shorts.has(word.slice(1, 2)));
  const result: ParsedArgs = { settings: {}, own: {}, positionals: [] };
  // one value per flag, as the originals' parsers (docopt, yargs' strict mode) had it: the second
  // of two is a mistake (a pasted line, a default not seen), never silently the one in force, nor
  // added to the first (`--allowed-ips 0.0.0.0/0 ... --allowed-ips 10.0.0.0/8` meant to narrow
  // would widen); whatever the form: short or long, joined or not, empty or not, a switch too
  const given = new Set<string>();
  const once = (typed: string, flag: Flag) => {
    const id = flag.setting ? flag.setting.key : `--${flag.long}`;
    if (given.has(id)) {
      const list = flag.setting?.spec.format === Array ? ' (a list: give its values in one flag, comma-separated)' : '';
      throw new UsageError(`${typed}: given more than once${list}`);
    }
    given.add(id);
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      result.positionals.push(token.value);
      continue;
    }
    const typed = token.rawName;
    const flag = typed.startsWith('--') ? longs.get(token.name) : shorts.get(typed.slice(1));
    if (!flag) throw new UsageError(`${typed}: unknown flag (see --help)`);
    let value: string | undefined = token.value;
    if (flag.boolean) {
      // a switch alone means true; a setting's switch may also take a word: --force-ssl=false,
      // or --force-ssl false as the original start script's flags did
      const next = tokens[i + 1];
      if (value === undefined && flag.setting && next?.kind === 'positional' && next.value.toLowerCase() in BOOLEAN_WORDS) {
        value = next.value;
        i++;
      }
      if (!flag.setting) {
        if (value !== undefined) throw new UsageError(`${typed}: takes no value, got ${JSON.stringify(value)}`);
        once(typed, flag);
        result.own[flag.long] = true;
        continue;
      }
      value ??= 'true';
    } else if (value === undefined || (token.inlineValue === false && (value === '--' || isFlag(value)))) {
      // `--relengapi-token -- <taskId>`: the `--` ends the flags, it is no value (as docopt has it)
      throw new UsageError(`${typed}: missing value`);
    }
    once(typed, flag);
    if (!flag.setting) {
      result.own[flag.long] = value;
      continue;
    }
    // counted as given above: `--root-url= --root-url U` is a flag given twice
    if (value === '' && flag.name?.emptyIsUnset) continue;
    result.settings[flag.setting.key] = settingValue(typed, flag, value);
  }
  const expected = program.positionals ?? { name: '', min: 0, max: 0 };
  if (result.positionals.length > expected.max) {
    const stray = result.positionals[expected.max]!;
    throw new UsageError(expected.max === 0 ? `${JSON.stringify(stray)}: unexpected argument (see --help)` : `${JSON.stringify(stray)}: unexpected argument; ${program.name} takes ${expected.max === 1 ? 'one' : `at most ${expected.max}`} ${expected.name}`);
  }
  if (result.positionals.length < expected.min && !result.own.help && !result.own.version && !result.own['print-config']) {
    throw new UsageError(`missing ${expected.name} (see --help)`);
  }
  // --help answers whatever words come with it (`secrets --help`): the help names the commands
  const problem = result.own.help ? undefined : expected.check?.(result.positionals);
  if (problem) throw new UsageError(problem);
  return result;
}
