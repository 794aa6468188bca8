/**
 * `--help` of every program, generated from the same data as its parser (src/cli/args.ts):
 * only its own flags, each with its environment variable and the default the program really
 * starts with (schema, the program's defaults and its own config file).
 */
import { loadConfig, ownConfigFile } from '../config/load.js';
import { programFlags, type Flag, type ProgramSpec } from './args.js';

function placeholder(flag: Flag): string {
  if (flag.own) return flag.own.value ? ` ${flag.own.value}` : '';
  const format = flag.setting!.spec.format;
  if (format === Boolean) return '';
  if (Array.isArray(format)) return ` <${format.join('|')}>`;
  if (format === Array) return ' <a,b,...>';
  if (format === 'port') return ' <port>';
  if (format === 'nat' || format === 'int' || format === Number) return ' <number>';
  if (typeof format === 'string') return ` <${format}>`;
  return ' <value>';
}

/** The value each setting has when neither flags nor environment set it. */
export function programDefaults(program: ProgramSpec): (key: string) => unknown {
  const { config } = loadConfig({ env: {}, modules: program.modules, defaults: program.defaults, configName: program.configName, overrides: program.fixed });
  return (key) => config.get(key);
}

/** How --help shows a flag's default. */
export function defaultText(flag: Flag, value: unknown): string {
  if (flag.setting!.spec.sensitive) return 'default: none; sensitive, never printed';
  return `default: ${JSON.stringify(value)}`;
}

export function helpText(program: ProgramSpec): string {
  const defaultOf = programDefaults(program);
  const lines = ['Usage:', ...program.usage.map((u) => `  ${program.name} ${u}`), '', program.summary, '', 'Flags (--flag value or --flag=value):'];
  for (const flag of programFlags(program)) {
    const names = `${flag.short ? `-${flag.short}, ` : ''}--${flag.long}${placeholder(flag)}`;
    const doc = flag.own?.doc ?? flag.setting!.spec.doc ?? '';
    lines.push(`  ${names}`, `      ${doc}`);
    if (flag.setting) {
      const env = flag.setting.spec.env ? `; env ${flag.setting.spec.env}` : '';
      lines.push(`      (${defaultText(flag, defaultOf(flag.setting.key))}${env})`);
    }
  }
  const own = ownConfigFile(program.configName) ? `config/${program.configName ?? 'gateway'}.yml of the package, ` : '';
  lines.push('', `Settings come from, lowest first: defaults, ${own}--config files, environment variables, flags.`);
  if (program.notes) lines.push('', program.notes);
  return lines.join('\n') + '\n';
}
