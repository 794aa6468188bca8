// A program that must reach a service before it can serve, with nothing listening there: one
// line saying what it waits for, then exit 2 with one line naming it once --startup-wait-ms passes.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from '../../src/plugins/secrets/store/index.js';
import { clientsFile } from '../plugins/secrets/gateway.js';
import { freePort, runBin, startBin, waitForOutput } from '../helpers/spawn-bin.js';

t.test('every wait at start is bounded, says what it waits for, and exits 2 naming it', async (t) => {
  const dead = `127.0.0.1:${await freePort()}`;
  const dir = mkdtempSync(join(tmpdir(), 'waits-'));
  const key = generateKey();
  writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [{ id: key.id, key: key.key.toString('base64') }] }));
  writeFileSync(join(dir, 'clients.json'), JSON.stringify(clientsFile));
  const bound = ['--startup-wait-ms', '1000'];
  const secrets = ['--plugins', 'secrets', '--port', '0', '--data-dir', dir, '--secrets-keys', join(dir, 'keys.json'), ...bound];
  const cases: Array<[string, string[], string]> = [
    ['relengapi-proxy', ['-p', '0', '--relengapi-token', 'tok', '--root-url', `http://${dead}`, ...bound, '--', 'fN1SbArXTPSVFNUvaOlinQ'], `task fN1SbArXTPSVFNUvaOlinQ from the queue at http://${dead}`],
    ['taskcluster-proxy', ['-p', '0', '--root-url', `http://${dead}`, '--client-id', 'c', '--access-token', 't', '-t', 'fN1SbArXTPSVFNUvaOlinQ', ...bound], `task fN1SbArXTPSVFNUvaOlinQ from the queue at http://${dead}`],
    ['gateway', [...secrets, '--auth', 'remote', '--root-url', `http://${dead}`], `the Taskcluster auth service at http://${dead}`],
    // probe 8: a root URL's userinfo was quoted whole, in the waiting line and the exit line (fetch's own error quoting it too)
    ['taskcluster-proxy', ['-p', '0', '--root-url', `http://user:pass-not-shown@${dead}`, '--client-id', 'c', '--access-token', 't', '-t', 'fN1SbArXTPSVFNUvaOlinQ', ...bound], `task fN1SbArXTPSVFNUvaOlinQ from the queue at http://[REDACTED]@${dead}`],
    ['gateway', [...secrets, '--auth', 'remote', '--root-url', `http://user:pass-not-shown@${dead}`], `the Taskcluster auth service at http://[REDACTED]@${dead}`],
    ['gateway', [...secrets, '--auth-clients', join(dir, 'clients.json'), '--secrets-database', `postgres://user:pass-not-shown@${dead}/test`], `the secrets database at ${dead}`],
    ['gateway', ['secrets', 'keys', 'status', '--secrets-keys', join(dir, 'keys.json'), '--secrets-database', `postgres://user:pass-not-shown@${dead}/test`, ...bound], `the secrets database at ${dead}`],
  ];
  const runs = await Promise.all(cases.map(([bin, args]) => runBin(bin, args)));
  cases.forEach(([bin, , what], i) => {
    const run = runs[i]!;
    const program = bin === 'gateway' ? 'taskcluster-gateway' : bin;
    t.equal(run.code, 2, `${what}: exit 2`);
    // the admin commands answer on stdout, so they log on stderr
    const log = i === cases.length - 1 ? run.stderr : run.stdout;
    t.match(log, `"msg":"waiting for ${what} (at most 1 s)"`, `${what}: says what it waits for`);
    t.equal(log.split('\n').filter((l) => l.includes('"msg":"waiting for')).length, 1, 'once');
    t.match(i === cases.length - 1 ? run.stderr.split('\n').slice(1).join('\n') : run.stderr, new RegExp(`^${program}: gave up waiting for ${what.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} after 1 s: .+\\n$`), `${what}: one line`);
    t.notMatch(run.stdout + run.stderr, 'pass-not-shown', 'no password');
  });
});

t.test('a reload (SIGHUP) while waiting at start does not end the program', async (t) => {
  const dead = `127.0.0.1:${await freePort()}`;
  const dir = mkdtempSync(join(tmpdir(), 'waits-hup-'));
  const key = generateKey();
  writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [{ id: key.id, key: key.key.toString('base64') }] }));
  const { child, result, output } = startBin('gateway', ['--plugins', 'secrets', '--port', '0', '--data-dir', dir, '--secrets-keys', join(dir, 'keys.json'),
    '--auth', 'remote', '--root-url', `http://${dead}`, '--startup-wait-ms', '3000']);
  await waitForOutput(output, (text) => text.includes('"msg":"waiting for the Taskcluster auth service'));
  child.kill('SIGHUP');
  const run = await result;
  t.equal(run.signal, null, 'not ended by the signal (Node\'s default for SIGHUP)');
  t.equal(run.code, 2, 'it waited out its bound and exited 2, as without the reload');
  t.match(run.stderr, /gave up waiting for the Taskcluster auth service/);
});
