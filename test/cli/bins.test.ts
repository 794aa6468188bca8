// Every bin as a process, as a table: --help, --version and --print-config answer and exit 0; a
// missing value, a wrong value, an unknown flag, a flag given twice and stray words exit 2 with one
// line on stderr naming the flag as typed; `--flag value` and `--flag=value` are what it runs with.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from '../../src/plugins/secrets/store/index.js';
import { clientsFile } from '../plugins/secrets/gateway.js';
import { runBin, startBin } from '../helpers/spawn-bin.js';

// some forty processes, each loading the program through tsx: minutes on a busy 2-core machine
t.setTimeout(480_000);

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const BINS: Array<[bin: string, version: RegExp, positionals: string[], short: boolean]> = [
  ['gateway', new RegExp(`^taskcluster-gateway ${version}\\n$`), [], false],
  ['host-secrets', new RegExp(`^host-secrets ${version}\\n$`), [], false],
  ['relengapi-proxy', new RegExp(`^RelengAPI proxy ${version}\\n$`), ['--', 'fN1SbArXTPSVFNUvaOlinQ'], true],
  ['taskcluster-proxy', new RegExp(`^Taskcluster proxy ${version}( \\(git revision \\w+\\))?\\n$`), [], true],
];
const SECRET = 'do-not-print-me';

/** What the bin's stray words are, and what it answers to them. */
function strayRow(bin: string, positionals: string[]): [string[], string] {
  if (bin === 'taskcluster-proxy') return [['-x'], '-x: unknown flag (see --help)'];
  if (bin === 'gateway') return [['stray', 'words'], '"stray words": unknown command; commands: secrets rotate-keys, secrets keys status'];
  if (bin === 'relengapi-proxy') return [[...positionals, 'stray'], '"stray": unexpected argument; relengapi-proxy takes one <taskId>'];
  return [['stray', 'words'], '"stray": unexpected argument (see --help)'];
}

for (const [bin, versionLine, positionals, short] of BINS) {
  t.test(bin, async (t) => {
    const program = bin === 'gateway' ? 'taskcluster-gateway' : bin;
    // each row: a command line and the one line it is refused with (exit 2); args.test.ts has
    // every flag of every program in these forms, in process
    const refused: Array<[string[], string]> = [
      [['--port', ...positionals], '--port: missing value'],
      [['--port=x', ...positionals], '--port: expected a port number (0-65535), got "x"'],
      [['--log-level', 'loud', ...positionals], '--log-level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
      [['--bogus', 'value', ...positionals], '--bogus: unknown flag (see --help)'],
      [['--port', '1', '--port=2', ...positionals], '--port: given more than once'],
      strayRow(bin, positionals),
      ...(short ? [[['-p', 'x', ...positionals], '-p: expected a port number (0-65535), got "x"']] as Array<[string[], string]> : []),
    ];
    // each row: a command line (--flag value, --flag=value) whose --print-config shows the values in force
    const accepted: Array<[string[], RegExp[]]> = [
      [[short ? '-p' : '--port', '4321', '--log-level=warn'], [/\n {2}"port": 4321,\n/, /\n {2}"logLevel": "warn",\n/]],
    ];
    // started together: each takes a second or two to load
    const [help, ver, printed, ...runs] = await Promise.all([
      runBin(bin, ['--help']),
      runBin(bin, ['--version']),
      runBin(bin, ['--print-config', ...positionals], { TASKCLUSTER_ACCESS_TOKEN: SECRET }),
      ...refused.map(([args]) => runBin(bin, args)),
      ...accepted.map(([args]) => runBin(bin, ['--print-config', ...args, ...positionals])),
    ]);
    t.equal(help.code, 0);
    t.match(help.stdout, /^Usage:\n/);
    t.match(help.stdout, /--port <port>\n.*\n {6}\(default: \d+; env PORT\)/);
    t.equal(ver.code, 0);
    t.match(ver.stdout, versionLine);
    t.equal(printed.code, 0, printed.stderr);
    t.match(printed.stdout, /"accessToken": "\[Sensitive\]"/, 'the token is masked');
    t.notMatch(printed.stdout, SECRET);
    refused.forEach(([args, line], i) => {
      const run = runs[i]!;
      t.equal(run.code, 2, `${args.join(' ')}: exit 2`);
      t.equal(run.stderr, `${program}: ${line}\n`, `${args.join(' ')}: one line naming the flag as typed`);
      t.equal(run.stdout, '', `${args.join(' ')}: nothing on stdout`);
    });
    accepted.forEach(([args, shown], i) => {
      const run = runs[refused.length + i]!;
      t.equal(run.code, 0, `${args.join(' ')}: exit 0 ${run.stderr}`);
      for (const line of shown) t.match(run.stdout, line, `${args.join(' ')}: in force`);
    });
  });
}

t.test('help read only in part (`--help | head -1`): exit 0, no stack trace', async (t) => {
  for (const bin of ['gateway', 'host-secrets']) {
    const { child, result } = startBin(bin, ['--help']);
    // the reader goes away before the text is written: the next write meets EPIPE
    child.stdout!.destroy();
    const run = await result;
    t.equal(run.code, 0, `${bin}: exit 0`);
    t.notMatch(run.stderr, /EPIPE|at /, `${bin}: nothing on stderr about it`);
  }
});

t.test('a database or Redis URL that cannot be parsed: exit 2, one line naming the setting, never the URL', async (t) => {
  const keysDir = mkdtempSync(join(tmpdir(), 'bad-url-'));
  const key = generateKey();
  writeFileSync(join(keysDir, 'keys.json'), JSON.stringify({ keys: [{ id: key.id, key: key.key.toString('base64') }] }));
  writeFileSync(join(keysDir, 'clients.json'), JSON.stringify(clientsFile));
  const secrets = ['--plugins', 'secrets', '--port', '0', '--data-dir', keysDir, '--secrets-keys', join(keysDir, 'keys.json'), '--auth-clients', join(keysDir, 'clients.json')];
  const cases: Array<[string[], string]> = [
    [[...secrets, '--secrets-database', 'postgres://u:PW-not-shown@127.0.0.1:notaport/db'], 'secrets.database (--secrets-database / GATEWAY_SECRETS_DATABASE)'],
    [[...secrets, '--secrets-database', 'postgres://u:PW-not-shown@[zz/db'], 'secrets.database (--secrets-database / GATEWAY_SECRETS_DATABASE)'],
    [['--plugins', 'bewit', '--port', '0', '--redis-url', 'redis://u:PW-not-shown@127.0.0.1:notaport'], 'redis.url (--redis-url / GATEWAY_REDIS_URL)'],
  ];
  for (const [args, setting] of cases) {
    const run = await runBin('gateway', args);
    t.equal(run.code, 2, `${setting}: exit 2`);
    t.equal(run.stderr, `taskcluster-gateway: setting ${setting}: not a valid URL (not shown: it may hold a password)\n`, 'one line naming the setting');
    t.notMatch(run.stdout + run.stderr, 'PW-not-shown', 'no password');
  }
});
