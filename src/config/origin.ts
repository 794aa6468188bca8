/**
 * Where a refused value came from, so that the error names what the user wrote: the environment
 * variable, the flag or the config file, not only the setting's path. The loader's sources in
 * increasing precedence are config files, the environment, flags and the command line's
 * overrides: the last one that gives the setting is the one whose value convict refused.
 */
import { quotableMessage } from '../core/url-credentials.js';

/** The values the loader read, each source as it had it. */
export interface ValueSources {
  /** Each config file read, in order, with the section it applied. */
  files: ReadonlyArray<{ file: string; values: Record<string, unknown> }>;
  env: NodeJS.ProcessEnv;
  /** Flags given to convict (without the program name). */
  argv: readonly string[];
  /** Dotted keys set last: the program's command line, parsed (src/cli/args.ts), and its fixed settings. */
  overrides: Record<string, unknown>;
}

/** What a setting's schema entry says of its sources. */
export interface SourceSpec {
  env?: unknown;
  arg?: unknown;
  sensitive?: unknown;
}

interface Origin {
  /** How the error names the source and the setting. */
  name: string;
  /** The value as that source gave it (a string from the environment or a flag). */
  value?: unknown;
}

function fileValue(values: Record<string, unknown>, path: string): { found: boolean; value?: unknown } {
  let node: unknown = values;
  for (const part of path.split('.')) {
    if (!node || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, part)) return { found: false };
    node = (node as Record<string, unknown>)[part];
  }
  return { found: true, value: node };
}

/** The value of `--flag` in argv (`--flag value` or `--flag=value`; the last one, as convict's parser takes it). */
function flagValue(argv: readonly string[], flag: string): { found: boolean; value?: string } {
  let found: { found: boolean; value?: string } = { found: false };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') break;
    if (token === `--${flag}`) found = { found: true, value: argv[i + 1] };
    else if (token.startsWith(`--${flag}=`)) found = { found: true, value: token.slice(flag.length + 3) };
  }
  return found;
}

/** The source whose value of the setting at `path` is in force. */
export function originOf(path: string, spec: SourceSpec, sources: ValueSources): Origin {
  if (sources.overrides[path] !== undefined) return { name: `${path} (command line)`, value: sources.overrides[path] };
  if (typeof spec.arg === 'string') {
    const flag = flagValue(sources.argv, spec.arg);
    if (flag.found) return { name: `--${spec.arg} (setting ${path})`, value: flag.value };
  }
  if (typeof spec.env === 'string' && sources.env[spec.env] !== undefined) return { name: `${spec.env} (setting ${path})`, value: sources.env[spec.env] };
  for (const { file, values } of [...sources.files].reverse()) {
    const given = fileValue(values, path);
    if (given.found) return { name: `${path} in config file ${file}`, value: given.value };
  }
  return { name: `${path} (its default)` };
}

/** convict's line for a value its schema refuses: `<path>: <problem>`, then `: value was <JSON>` unless sensitive. */
const VALUE_WAS = ': value was ';
/** convict's line for a key no setting has (strict validation: only a file can give one). */
const UNDECLARED = /^configuration param '(.+)' not declared in the schema$/;

/**
 * convict's first error line said again naming the source of the value it refused, and that
 * value as the source gave it (an environment variable's text, not convict's coercion of it:
 * `abc` for a number is NaN, which convict does not show), any URL in it without its
 * credentials; never the value of a sensitive setting. Undefined for a line of another shape.
 */
export function refusalMessage(line: string, settings: ReadonlyMap<string, SourceSpec>, sources: ValueSources): string | undefined {
  const undeclared = UNDECLARED.exec(line);
  if (undeclared) {
    const key = undeclared[1]!;
    const file = [...sources.files].reverse().find(({ values }) => fileValue(values, key).found)?.file;
    return file ? `${key} in config file ${file}: no such setting (see --help)` : undefined;
  }
  // the longest path the line starts with: `a.b: ` before `a: `
  let path: string | undefined;
  for (const candidate of settings.keys()) {
    if (line.startsWith(`${candidate}: `) && candidate.length > (path?.length ?? -1)) path = candidate;
  }
  if (path === undefined) return undefined;
  const spec = settings.get(path)!;
  const rest = line.slice(path.length + 2);
  const cut = rest.indexOf(VALUE_WAS);
  const problem = cut < 0 ? rest : rest.slice(0, cut);
  const origin = originOf(path, spec, sources);
  if (spec.sensitive) return `${origin.name}: ${problem}, got something else (not shown: sensitive)`;
  // a format's problem may quote the value too (a listener's entry)
  const got = origin.value === undefined ? '' : `, got ${JSON.stringify(origin.value)}`;
  return quotableMessage(`${origin.name}: ${problem}${got}`);
}
