/**
 * Loading configuration: one convict schema (core + every plugin module's section), with values
 * from config/<name>.yml (its `defaults` section, then the DEPLOY_ENV section, as host-secrets
 * did), extra --config files, the environment and flags, in increasing precedence, then the
 * preset's overrides on top. A value convict refuses is reported by its source (./origin.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import convict from 'convict';
import { load as parseYaml } from 'js-yaml';
import { coreSchema, type CoreSettings } from './schema.js';
import { ConfigError } from './settings.js';
import { refusalMessage, type ValueSources } from './origin.js';
import { quotableMessage, withoutUrlCredentials } from '../core/url-credentials.js';

/** convict's mask for a sensitive setting, used for a URL's credentials too. */
const SENSITIVE = '[Sensitive]';

/** config/ of the installation: found when loading, as the native executable's is where it runs (not where it was built). */
const configDir = () => join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config');

/** The package's own config file of a program (config/<name>.yml), when the package has one. */
export function ownConfigFile(configName = 'gateway'): string | undefined {
  const file = join(configDir(), `${configName}.yml`);
  return existsSync(file) ? file : undefined;
}

convict.addParser({ extension: ['yml', 'yaml'], parse: (text: string) => parseYaml(text) });
/**
 * What configuration needs of a capability: its name and the schema sections it owns. Config
 * knows no plugin: the capabilities are handed in (src/fastify/capability.ts extends this).
 */
export interface SchemaOwner {
  name: string;
  schema: object;
}

/**
 * The whole schema: core settings plus the sections of the given capabilities, with a
 * program's own defaults (dotted keys, e.g. host-secrets' port 60401) in place of the schema's.
 */
export function gatewaySchema(modules: readonly SchemaOwner[] = [], defaults: Record<string, unknown> = {}): Record<string, unknown> {
  const schema: Record<string, unknown> = { ...coreSchema };
  for (const module of modules) {
    for (const [section, fragment] of Object.entries(module.schema)) {
      if (section in schema) throw new Error(`plugin ${module.name} redefines setting section ${section}`);
      schema[section] = fragment;
    }
  }
  for (const [key, value] of Object.entries(defaults)) {
    const path = key.split('.');
    let node = schema;
    for (const part of path.slice(0, -1)) {
      if (!node[part] || typeof node[part] !== 'object') throw new Error(`default for unknown setting ${key}`);
      node = node[part] = { ...(node[part] as Record<string, unknown>) };
    }
    const last = path.at(-1)!;
    if (!node[last] || typeof node[last] !== 'object' || !('default' in (node[last] as object))) throw new Error(`default for unknown setting ${key}`);
    node[last] = { ...(node[last] as Record<string, unknown>), default: value };
  }
  return schema;
}

export interface LoadOptions<M extends SchemaOwner = SchemaOwner> {
  /**
   * The capabilities this program can enable (their settings join the schema). Passed in, not
   * imported, so a preset such as the taskcluster-proxy binary carries only its own plugins.
   */
  modules?: readonly M[];
  /** Flags (without the program name). */
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Convict dotted keys set last: the program's flags (src/cli/args.ts) and fixed settings. */
  overrides?: Record<string, unknown>;
  /** The program's own defaults (dotted keys), below config files, environment and flags. */
  defaults?: Record<string, unknown>;
  /** Name of the package's own config file under config/ (without .yml). */
  configName?: string;
}

/** Untyped on purpose: each module reads its own typed section through SettingsOf. */
export type GatewayConfig = { get(key: string): any; set(key: string, value: unknown): void; getProperties(): any; toString(): string };

/**
 * A configuration as --print-config prints it and the admin listener serves it: JSON, every
 * setting the schema marks sensitive masked (convict's `[Sensitive]`, set or not), and the
 * credentials of every URL in any other setting too (a root URL, a RelengAPI route's base URL or
 * an allowed host may carry `user:password@`, a database or Redis URL `?password=`, which the
 * start accepts and the services use).
 */
export function printableConfig(config: GatewayConfig): string {
  // each string masked alone: a pattern run over the whole text could join two values
  const masked = JSON.parse(config.toString(), (_key, value: unknown) => typeof value === 'string' ? withoutUrlCredentials(value, SENSITIVE) : value);
  return JSON.stringify(masked, null, 2) + '\n';
}

export interface LoadedConfig<M extends SchemaOwner = SchemaOwner> {
  config: GatewayConfig;
  core: CoreSettings;
  modules: readonly M[];
  /** The configuration files read, in order (a reload reads them again). */
  files: string[];
}

function readFileSection(file: string, deployEnv: string): Record<string, unknown> {
  let parsed: Record<string, Record<string, unknown> | undefined>;
  try {
    parsed = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, Record<string, unknown> | undefined>;
  } catch (err) {
    throw new ConfigError(`config file ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const sectioned = 'defaults' in parsed;
  if (!sectioned) return parsed as Record<string, unknown>;
  return deepMerge(parsed.defaults ?? {}, (deployEnv && parsed[deployEnv]) || {});
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
      ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

/** Every setting of the schema, by convict path, with its entry. */
export function schemaSettings(schema: Record<string, unknown>): Map<string, Record<string, unknown>> {
  const settings = new Map<string, Record<string, unknown>>();
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      const spec = value as Record<string, unknown>;
      const path = prefix ? `${prefix}.${key}` : key;
      if (spec && typeof spec === 'object' && 'default' in spec) settings.set(path, spec);
      else if (spec && typeof spec === 'object') walk(spec, path);
    }
  };
  walk(schema, '');
  return settings;
}

/** Flags the schema knows, each with its convict path. */
export function schemaFlags(schema: Record<string, unknown>): Map<string, { path: string; spec: Record<string, unknown> }> {
  const flags = new Map<string, { path: string; spec: Record<string, unknown> }>();
  for (const [path, spec] of schemaSettings(schema)) {
    if (typeof spec.arg === 'string') flags.set(spec.arg, { path, spec });
  }
  return flags;
}

/** Refuse flags the schema does not know, before convict silently ignores them. */
function checkFlags(argv: string[], flags: Map<string, unknown>): void {
  for (const token of argv) {
    if (token === '--') break;
    if (!token.startsWith('--')) continue;
    const name = token.slice(2).split('=')[0]!;
    if (!flags.has(name)) throw new ConfigError(`unknown flag --${name} (see --help)`);
  }
}

export function loadConfig<M extends SchemaOwner = never>(options: LoadOptions<M> = {}): LoadedConfig<M> {
  const argv = options.argv ?? [];
  const env = options.env ?? process.env;
  const modules = options.modules ?? [];
  const schema = gatewaySchema(modules, options.defaults);
  const overrides = options.overrides ?? {};
  checkFlags(argv, schemaFlags(schema));
  let config: GatewayConfig & { load(v: unknown): void; validate(o: unknown): void };
  let files: string[] = [];
  const read: ValueSources['files'][number][] = [];
  try {
    config = (convict as any)(schema, { args: argv, env }) as GatewayConfig & { load(v: unknown): void; validate(o: unknown): void };
    // the section and the files to read can come from flags (overrides) too
    const deployEnv = (overrides.deployEnv ?? config.get('deployEnv')) as string;
    const ownFile = ownConfigFile(options.configName);
    files = [...(ownFile ? [ownFile] : []), ...((overrides.configFiles ?? config.get('configFiles')) as string[])];
    for (const file of files) {
      if (!existsSync(file)) throw new ConfigError(`config file ${file} does not exist (setting configFiles)`);
      const values = readFileSection(file, deployEnv);
      read.push({ file, values });
      config.load(values);
    }
    for (const [key, value] of Object.entries(overrides)) {
      if (value !== undefined) config.set(key, value);
    }
    config.validate({ allowed: 'strict' });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // a value convict refuses: named by where it came from (the variable, flag or file), as the user wrote it
    const line = (err as Error).message.split('\n')[0]!;
    const named = refusalMessage(line, schemaSettings(schema), { files: read, env, argv, overrides });
    const from = files.length > 0 ? ` (config files: ${files.join(', ')}; or the environment and flags)` : '';
    throw new ConfigError(named ?? quotableMessage(`${line}${from}`));
  }
  return { config, core: config.getProperties() as CoreSettings, modules, files };
}
