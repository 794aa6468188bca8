// The argument layer of every bin, as a table: for each program and each of its flags, a missing
// value, a wrong value, `--flag=value` and `--flag value` (equal to its environment variable),
// unknown flags and stray words; and --help stating the defaults the program really starts with.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { parseProgramArgs, programFlags, UsageError, type Flag } from '../../src/cli/args.js';
import { helpText } from '../../src/cli/help.js';
import { launchOptions, overridesOf, type Program } from '../../src/cli/program.js';
import { commandOf, gatewayProgram } from '../../src/cli/programs/gateway.js';
import { hostSecretsProgram } from '../../src/cli/programs/host-secrets.js';
import { relengapiProxyProgram } from '../../src/cli/programs/relengapi-proxy.js';
import { taskclusterProxyProgram } from '../../src/cli/programs/taskcluster-proxy.js';
import { WELL_FORMED_CERTIFICATE } from '../helpers/certificate.js';

const TASK_ID = 'fN1SbArXTPSVFNUvaOlinQ';
const emptyConfigFile = join(mkdtempSync(join(tmpdir(), 'args-')), 'empty.json');
writeFileSync(emptyConfigFile, '{}');
/** Each program, with the positionals a valid command line needs. */
const PROGRAMS: Array<[Program, string[]]> = [
  [gatewayProgram, []],
  [hostSecretsProgram, []],
  [relengapiProxyProgram, ['--', TASK_ID]],
  [taskclusterProxyProgram, []],
];

/** A value each format refuses, or undefined when every string is valid (String, lists). */
function wrongValue(flag: Flag): string | undefined {
  const format = flag.setting!.spec.format;
  if (flag.name?.check) return 'not-an-address';
  if (format === 'port') return 'x';
  if (format === 'nat') return '-1';
  if (format === 'fraction') return '2';
  if (format === Number) return 'abc';
  if (format === Boolean) return 'maybe';
  if (Array.isArray(format)) return 'nope';
  if (format === 'listener-list' || format === 'optional-scope-list' || format === 'taskcluster-certificate') return 'notjson';
  if (format === 'taskcluster-client-id') return 'two words';
  if (flag.long === 'plugins') return 'nope';
  return undefined;
}

/** A valid value that differs from the default. */
function goodValue(flag: Flag): string {
  const { format, default: fallback } = flag.setting!.spec;
  if (flag.long === 'plugins') return 'proxy,bewit';
  if (flag.long === 'config') return emptyConfigFile;
  if (flag.long === 'ip-address') return '127.0.0.2';
  if (format === 'port') return '4321';
  if (format === 'nat') return '7';
  if (format === 'fraction') return '0.5';
  if (format === Number) return '2.25';
  if (format === Boolean) return String(!fallback);
  if (Array.isArray(format)) return (format as string[]).find((v) => v !== fallback)!;
  if (format === Array) return 'a.example,b.example';
  if (format === 'listener-list') return '[{"name":"x","host":"127.0.0.1","port":1,"plugins":[]}]';
  if (format === 'optional-scope-list') return '["a:b"]';
  if (format === 'taskcluster-certificate') return WELL_FORMED_CERTIFICATE;
  return 'some-value';
}

const usage = (program: Program, argv: string[]) => {
  try {
    parseProgramArgs(program, argv);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  return undefined;
};

for (const [program, positionals] of PROGRAMS) {
  t.test(`${program.name}: every flag`, async (t) => {
    const settingOf = (argv: string[], key: string) => {
      const parsed = parseProgramArgs(program, [...argv, ...positionals]);
      return loadConfig({ ...launchOptions(program), env: {}, overrides: overridesOf(program, parsed) }).config.get(key);
    };
    for (const flag of programFlags(program)) {
      const names = [`--${flag.long}`, ...(flag.short ? [`-${flag.short}`] : [])];
      if (flag.own) {
        for (const typed of names) {
          if (flag.boolean) {
            if (typed.startsWith('--')) t.equal(usage(program, [`${typed}=x`]), `${typed}: takes no value, got "x"`, `${typed}=x refused`);
            t.equal(parseProgramArgs(program, [typed, ...positionals]).own[flag.long], true, `${typed} is a switch`);
          } else {
            t.equal(usage(program, [typed]), `${typed}: missing value`, `${typed} without a value`);
            t.equal(parseProgramArgs(program, [typed, 'v', ...positionals]).own[flag.long], 'v', `${typed} v`);
          }
        }
        if (!flag.boolean) t.equal(parseProgramArgs(program, [`--${flag.long}=v`, ...positionals]).own[flag.long], 'v', `--${flag.long}=v`);
        continue;
      }
      const { key, spec } = flag.setting!;
      const value = goodValue(flag);
      // what the environment variable makes of the same value, or the value itself for a setting without one
      const expected = spec.env ? loadConfig({ ...launchOptions(program), env: { [spec.env]: value } }).config.get(key) : value;
      for (const typed of names) {
        if (flag.boolean) {
          t.equal(settingOf([typed], key), true, `${typed} alone means true`);
          t.equal(settingOf([typed, 'false'], key), false, `${typed} false`);
        } else {
          t.equal(usage(program, [typed]), `${typed}: missing value`, `${typed} without a value`);
          t.equal(usage(program, [typed, '--help']), `${typed}: missing value`, `${typed} followed by a flag`);
        }
        t.same(settingOf([typed, value], key), expected, `${typed} ${value} = ${spec.env ?? key}`);
        const wrong = wrongValue(flag);
        // a switch takes a wrong word only joined to it: alone, the word is a stray one
        const wrongArgs = flag.boolean ? [`${typed}=${wrong}`] : [typed, wrong!];
        // a sensitive value is never echoed
        const got = spec.sensitive ? 'something else \\(not shown: sensitive\\)' : `"${wrong}"`;
        if (wrong !== undefined) t.match(usage(program, [...wrongArgs, ...positionals]), new RegExp(`^${typed}: expected .+, got ${got}$`), `${wrongArgs.join(' ')} refused`);
      }
      t.same(settingOf([`--${flag.long}=${value}`], key), expected, `--${flag.long}=${value}`);
      t.not(JSON.stringify(expected), JSON.stringify(settingOf([], key)), `--${flag.long} changes ${key} from its default`);
    }
    t.equal(usage(program, ['--no-such-flag', ...positionals]), '--no-such-flag: unknown flag (see --help)');
    t.equal(usage(program, ['--no-such-flag=1', ...positionals]), '--no-such-flag: unknown flag (see --help)');
    t.equal(usage(program, ['-x', ...positionals]), '-x: unknown flag (see --help)');
  });
}

t.test('only a program\'s own settings are its flags', async (t) => {
  t.equal(usage(taskclusterProxyProgram, ['--secrets-keys', 'k']), '--secrets-keys: unknown flag (see --help)');
  t.equal(usage(taskclusterProxyProgram, ['--plugins', 'secrets']), '--plugins: unknown flag (see --help)', 'its plugins are fixed');
  t.equal(usage(hostSecretsProgram, ['--access-token', 'x']), '--access-token: unknown flag (see --help)', 'host-secrets calls it --token');
  t.equal(usage(relengapiProxyProgram, ['--client-id', 'x', '--', TASK_ID]), '--client-id: unknown flag (see --help)');
  t.equal(usage(gatewayProgram, ['--task-id', 'x']), '--task-id: unknown flag (see --help)');
  // settings that would do nothing in the program are no flags of it
  for (const flag of ['--data-dir', '--root-url']) t.equal(usage(hostSecretsProgram, [flag, 'x']), `${flag}: unknown flag (see --help)`, `host-secrets ${flag}: nothing reads it`);
  for (const flag of ['--data-dir', '--force-ssl', '--trust-proxy']) t.equal(usage(relengapiProxyProgram, [flag, '--', TASK_ID]), `${flag}: unknown flag (see --help)`, `relengapi-proxy ${flag}: nothing reads it`);
  for (const flag of ['--data-dir', '--force-ssl', '--trust-proxy']) t.equal(usage(taskclusterProxyProgram, [flag]), `${flag}: unknown flag (see --help)`, `taskcluster-proxy ${flag}: nothing reads it`);
});

t.test('stray words: errors where the original refused them', async (t) => {
  t.equal(usage(gatewayProgram, ['stray']), '"stray": unknown command; commands: secrets rotate-keys, secrets keys status', 'the gateway takes commands only');
  t.equal(usage(gatewayProgram, ['secrets', 'keys', 'status', 'x']), '"x": unexpected argument; taskcluster-gateway takes at most 3 command');
  t.equal(usage(gatewayProgram, ['secrets', 'rotate-keys']), undefined);
  t.equal(usage(hostSecretsProgram, ['stray']), '"stray": unexpected argument (see --help)');
  t.equal(usage(relengapiProxyProgram, []), 'missing <taskId> (see --help)');
  t.equal(usage(relengapiProxyProgram, ['--', TASK_ID, 'extra']), '"extra": unexpected argument; relengapi-proxy takes one <taskId>');
  t.same(parseProgramArgs(relengapiProxyProgram, ['--relengapi-token=tok', '--', TASK_ID]).positionals, [TASK_ID], 'as docker-worker passed it');
  t.same(parseProgramArgs(taskclusterProxyProgram, ['-p', '80', 'a:b', '--root-url=http://127.0.0.1', 'c:d']).positionals, ['a:b', 'c:d'], 'taskcluster-proxy: positional scopes anywhere');
});

t.test('a flag given twice: refused, never silently the last one (docopt, the original\'s parser, refuses it too)', async (t) => {
  t.equal(usage(taskclusterProxyProgram, ['-p', '80', '--port=81']), '--port: given more than once', 'a setting under its two names');
  t.equal(usage(taskclusterProxyProgram, ['--port', '80', '--port', '80']), '--port: given more than once', 'even with the same value');
  t.equal(usage(taskclusterProxyProgram, ['--access-token', 'secret-1', '--access-token=secret-2']), '--access-token: given more than once', 'a sensitive value is never echoed');
  t.equal(usage(taskclusterProxyProgram, ['--task-id', 'a', '--task-id', 'b']), '--task-id: given more than once', 'the program\'s own flags too');
});

t.test('every flag of every program given twice, in every form: refused, naming the second as typed', async (t) => {
  for (const [program, positionals] of PROGRAMS) {
    for (const flag of programFlags(program)) {
      const value = flag.own ? (flag.boolean ? undefined : 'v') : flag.boolean ? undefined : goodValue(flag);
      const names = [`--${flag.long}`, ...(flag.short ? [`-${flag.short}`] : [])];
      // every way of giving the flag that is valid alone: short or long, value joined or apart, empty or not
      const forms: string[][] = names.flatMap((typed) => (value === undefined
        ? [[typed], ...(flag.setting && typed.startsWith('--') ? [[`${typed}=false`], [`${typed}=true`]] : [])]
        : [[typed, value], ...(typed.startsWith('--') ? [[`${typed}=${value}`], [`${typed}=`]] : [])]))
        .filter((form) => usage(program, [...form, ...positionals]) === undefined);
      t.ok(forms.length >= 1, `${program.name} --${flag.long}: some form is valid`);
      const list = flag.setting?.spec.format === Array ? ' (a list: give its values in one flag, comma-separated)' : '';
      for (const first of forms) {
        for (const second of forms) {
          const typed = second[0]!.split('=')[0]!;
          t.equal(usage(program, [...first, ...second, ...positionals]), `${typed}: given more than once${list}`, `${program.name} ${[...first, ...second].join(' ')}`);
        }
      }
    }
  }
  // the known gap: an empty value that leaves the setting unset still counts as given
  t.equal(usage(taskclusterProxyProgram, ['--root-url=', '--root-url', 'http://x']), '--root-url: given more than once');
  t.equal(usage(taskclusterProxyProgram, ['--access-token', '', '--access-token=t']), '--access-token: given more than once');
  t.equal(usage(relengapiProxyProgram, ['--relengapi-route', '/a=https://a.example', '--relengapi-route=/b=https://b.example', '--', TASK_ID]),
    '--relengapi-route: given more than once (a list: give its values in one flag, comma-separated)', 'a list\'s flag is one flag too');
  t.same(parseProgramArgs(relengapiProxyProgram, ['--relengapi-route', '/a=https://a.example,/b=https://b.example', '--', TASK_ID]).settings['relengapi.routes'],
    ['/a=https://a.example', '/b=https://b.example'], 'its values comma-separated');
  t.equal(usage(taskclusterProxyProgram, ['--help', '-h']), '-h: given more than once', 'a switch of the program\'s own');
});

t.test('`--` after a flag that takes a value is no value: it ends the flags (docopt)', async (t) => {
  t.equal(usage(relengapiProxyProgram, ['--relengapi-token', '--', TASK_ID]), '--relengapi-token: missing value');
  t.equal(usage(relengapiProxyProgram, ['-p', '--', TASK_ID]), '-p: missing value');
  t.equal(usage(taskclusterProxyProgram, ['--task-id', '--', 'a:b']), '--task-id: missing value');
  t.equal(parseProgramArgs(relengapiProxyProgram, ['--relengapi-url=--', '--', TASK_ID]).settings['relengapi.tokenUrl'], '--', 'joined, it is the value');
});

t.test('commands are words: the words of a command given as one word are no command', async (t) => {
  t.equal(usage(gatewayProgram, ['secrets rotate-keys']), '"secrets rotate-keys": unknown command; commands: secrets rotate-keys, secrets keys status');
  t.equal(usage(gatewayProgram, ['secrets keys', 'status']), '"secrets keys status": unknown command; commands: secrets rotate-keys, secrets keys status');
  t.equal(commandOf(['secrets', 'keys', 'status']), 'keys-status');
  t.equal(commandOf(['secrets', 'rotate-keys']), 'rotate-keys');
  t.equal(commandOf(['secrets']), undefined);
});

t.test('--help with a partial or unknown command is help, not a usage error', async (t) => {
  for (const words of [['secrets'], ['secrets', 'keys'], ['bogus']]) {
    t.equal(parseProgramArgs(gatewayProgram, [...words, '--help']).own.help, true, `${words.join(' ')} --help`);
  }
  t.equal(usage(gatewayProgram, ['secrets']), '"secrets": unknown command; commands: secrets rotate-keys, secrets keys status');
});

t.test('--help: only the program\'s flags, each with its environment variable and true default', async (t) => {
  for (const [program, positionals] of PROGRAMS) {
    const help = helpText(program);
    const runsWith = loadConfig({ ...launchOptions(program), env: {}, overrides: overridesOf(program, parseProgramArgs(program, positionals)) }).config;
    const flags = programFlags(program);
    const listed = [...help.matchAll(/^ {2}(?:-\w, )?--([\w-]+)/gm)].map((m) => m[1]);
    t.same(listed, flags.map((f) => f.long), `${program.name}: exactly its flags`);
    for (const flag of flags) {
      if (!flag.setting) continue;
      const { key, spec } = flag.setting;
      const block = help.slice(help.search(new RegExp(`^ {2}(-\\w, )?--${flag.long}\\b`, 'm'))).split('\n')[2]!;
      const stated = /^ {6}\(default: (.*?)(?:; env (\w+))?\)$/.exec(block);
      t.ok(stated, `${program.name} --${flag.long}: states its default`);
      if (spec.sensitive) t.equal(stated![1], 'none; sensitive, never printed');
      else t.same(JSON.parse(stated![1]!), runsWith.get(key), `${program.name} --${flag.long}: default ${stated![1]} is what it runs with`);
      t.equal(stated![2], spec.env, `${program.name} --${flag.long}: env ${spec.env}`);
    }
  }
  t.match(helpText(hostSecretsProgram), /--port <port>\n.*\n {6}\(default: 60401; env PORT\)/, 'host-secrets: the original port');
  t.match(helpText(hostSecretsProgram), /config\/host-secrets\.yml/, 'host-secrets: its own config file');
  t.match(helpText(taskclusterProxyProgram), /lowest first: defaults, --config files,/, 'taskcluster-proxy: no config file of the package (there is none)');
  t.match(helpText(relengapiProxyProgram), /lowest first: defaults, config\/gateway\.yml of the package,/, 'relengapi-proxy: the gateway\'s file');
  t.match(helpText(taskclusterProxyProgram), /-i, --ip-address .*\n.*\n {6}\(default: ""; env GATEWAY_IP_ADDRESS\)/, 'taskcluster-proxy: all interfaces');
});
