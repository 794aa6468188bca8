// The settings files the package installs in /etc (packaging/*.conf, systemd's EnvironmentFile):
// every variable they name is one of their program's settings, and every config file they name
// is the one their program reads.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { programFlags } from '../../src/cli/args.js';
import type { Program } from '../../src/cli/program.js';
import { gatewayProgram } from '../../src/cli/programs/gateway.js';
import { hostSecretsProgram } from '../../src/cli/programs/host-secrets.js';
import { relengapiProxyProgram } from '../../src/cli/programs/relengapi-proxy.js';

const FILES: Array<[file: string, program: Program]> = [
  ['taskcluster-gateway.conf', gatewayProgram],
  ['host-secrets.conf', hostSecretsProgram],
  ['relengapi-proxy.conf', relengapiProxyProgram],
];

for (const [file, program] of FILES) {
  t.test(file, async (t) => {
    const text = readFileSync(fileURLToPath(new URL(`../../packaging/${file}`, import.meta.url)), 'utf8');
    const envs = new Set(programFlags(program).flatMap((f) => (f.setting?.spec.env ? [f.setting.spec.env] : [])));
    const named = [...text.matchAll(/^#?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    t.ok(named.length > 0, 'it names settings');
    for (const name of named) t.ok(envs.has(name), `${name} is a setting of ${program.name} (--help)`);
    for (const [, configName] of text.matchAll(/config\/([\w-]+)\.yml/g)) {
      t.equal(configName, program.configName ?? 'gateway', `config/${configName}.yml is the file ${program.name} reads`);
    }
  });
}
