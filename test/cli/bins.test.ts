// Every bin as a process: --help, --version and --print-config answer and exit 0; a usage error
// exits 2 with one line on stderr naming the flag as typed.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from '../../src/plugins/secrets/store/index.js';
import { clientsFile } from '../plugins/secrets/gateway.js';
import { runBin, startBin } from '../helpers/spawn-bin.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const BINS: Array<[bin: string, version: RegExp, positionals: string[]]> = [
  ['gateway', new RegExp(`^taskcluster-gateway ${version}\\n$`), []],
  ['host-secrets', new RegExp(`^host-secrets ${version}\\n$`), []],
  ['relengapi-proxy', new RegExp(`^RelengAPI proxy ${version}\\n$`), ['--', 'fN1SbArXTPSVFNUvaOlinQ']],
  ['taskcluster-proxy', new RegExp(`^Taskcluster proxy ${version}( \\(git revision \\w+\\))?\\n$`), []],
];
const SECRET = 'do-not-print-me';

for (const [bin, versionLine, positionals] of BINS) {
  t.test(bin, async (t) => {
    // started together: each takes a second or two to load
    const [help, ver, printed, badPort, unknown, stray] = await Promise.all([
      runBin(bin, ['--help']),
      runBin(bin, ['--version']),
      runBin(bin, ['--print-config', ...positionals], { TASKCLUSTER_ACCESS_TOKEN: SECRET }),
      runBin(bin, ['--port=x', ...positionals]),
      runBin(bin, ['--bogus', 'value', ...positionals]),
      runBin(bin, [...positionals, ...(bin === 'taskcluster-proxy' ? ['-x'] : ['stray', 'words'])]),
    ]);
    t.equal(help.code, 0);
    t.match(help.stdout, /^Usage:\n/);
    t.match(help.stdout, /--port <port>\n.*\n {6}\(default: \d+; env PORT\)/);
    t.equal(ver.code, 0);
    t.match(ver.stdout, versionLine);
    t.equal(printed.code, 0, printed.stderr);
    t.match(printed.stdout, /"accessToken": "\[Sensitive\]"/, 'the token is masked');
    t.notMatch(printed.stdout, SECRET);
    for (const [run, line] of [
      [badPort, `--port: expected a port number (0-65535), got "x"`],
      [unknown, '--bogus: unknown flag (see --help)'],
      [stray, bin === 'taskcluster-proxy' ? '-x: unknown flag (see --help)' : bin === 'gateway' ? '"stray words": unknown command; commands: secrets rotate-keys, secrets keys status' : bin === 'relengapi-proxy' ? '"stray": unexpected argument; relengapi-proxy takes one <taskId>' : '"stray": unexpected argument (see --help)'],
    ] as const) {
      t.equal(run.code, 2, `${line}: exit 2`);
      t.equal(run.stderr, `${bin === 'gateway' ? 'taskcluster-gateway' : bin}: ${line}\n`, 'one line naming the flag');
    }
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
