#!/usr/bin/env node
/**
 * `host-secrets`: the gateway as a drop-in for taskcluster-host-secrets. Takes the original
 * start script's flags, each equal to its environment variable (`--flag value` or
 * `--flag=value`), serves only the host-secrets plugin on all interfaces, port 60401 (the
 * original's development port) unless PORT or --port says otherwise. Any other flag of the
 * gateway's schema passes through (e.g. --dns-timeout-ms, --log-level, --config).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gatewaySchema, schemaFlags } from '../config/load.js';
import { hostSecretsModule } from '../plugins/host-secrets/capability.js';
import { ConfigError } from '../config/settings.js';
import { helpText } from './help.js';
import { fail, launch, orExit, portNumber } from './launch.js';

const PROGRAM = 'host-secrets';
/** This bin serves host-secrets alone: only its settings, only its code. */
const MODULES = [hostSecretsModule];
export const DEFAULT_PORT = 60401;

type Kind = 'string' | 'list' | 'port' | 'boolean';

/** The original start.sh flags, with the setting each one is. */
export const ORIGINAL_FLAGS: Record<string, { key: string; kind: Kind; env: string }> = {
  'scope-base': { key: 'hostSecrets.scopeBase', kind: 'string', env: 'TASKCLUSTER_SCOPE_BASE' },
  'client-id-base': { key: 'hostSecrets.clientIdBase', kind: 'string', env: 'TASKCLUSTER_CLIENT_ID_BASE' },
  expires: { key: 'hostSecrets.credentialsExpire', kind: 'string', env: 'TASKCLUSTER_CREDENTIALS_EXPIRE' },
  'allowed-ips': { key: 'hostSecrets.allowedIps', kind: 'list', env: 'TASKCLUSTER_ALLOWED_IPS' },
  'client-id': { key: 'taskcluster.clientId', kind: 'string', env: 'TASKCLUSTER_CLIENT_ID' },
  token: { key: 'taskcluster.accessToken', kind: 'string', env: 'TASKCLUSTER_ACCESS_TOKEN' },
  port: { key: 'port', kind: 'port', env: 'PORT' },
  env: { key: 'deployEnv', kind: 'string', env: 'DEPLOY_ENV' },
  'force-ssl': { key: 'forceSsl', kind: 'boolean', env: 'FORCE_SSL' },
  'trust-proxy': { key: 'trustProxy', kind: 'boolean', env: 'TRUST_PROXY' },
  'dns-servers': { key: 'hostSecrets.dnsServers', kind: 'list', env: 'GATEWAY_DNS_SERVERS' },
  'trusted-proxies': { key: 'trustedProxies', kind: 'list', env: 'GATEWAY_TRUSTED_PROXIES' },
};

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false };

export interface HostSecretsLaunch {
  /** Convict dotted keys for launch(). */
  overrides: Record<string, unknown>;
  /** Flags left for the gateway's schema. */
  argv: string[];
}

function convert(flag: string, kind: Kind, value: string): unknown {
  switch (kind) {
    case 'string':
      return value;
    case 'list':
      return value.split(/[\s,]+/).filter((v) => v !== '');
    case 'port':
      return portNumber(flag, value);
    case 'boolean': {
      const parsed = BOOLEAN_WORDS[value.toLowerCase()];
      if (parsed === undefined) throw new ConfigError(`--${flag}: ${JSON.stringify(value)} is not true or false`);
      return parsed;
    }
  }
}

/** The original flags as settings; the environment only matters for the defaults it overrules. */
export function hostSecretsLaunch(args: string[], env: NodeJS.ProcessEnv): HostSecretsLaunch {
  const overrides: Record<string, unknown> = { plugins: ['host-secrets'] };
  const argv: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    const [name, inline] = token.startsWith('--') ? [token.slice(2).split('=')[0]!, token.includes('=') ? token.slice(token.indexOf('=') + 1) : undefined] : ['', undefined];
    const flag = ORIGINAL_FLAGS[name];
    if (!flag) {
      argv.push(token);
      continue;
    }
    let value = inline;
    if (value === undefined && flag.kind === 'boolean') {
      // A bare switch means true; a following true/false word is its value.
      const next = args[i + 1];
      value = next !== undefined && next.toLowerCase() in BOOLEAN_WORDS ? args[++i]! : 'true';
    }
    if (value === undefined) {
      if (i + 1 >= args.length) throw new ConfigError(`--${name} needs a value`);
      value = args[++i]!;
    }
    // The deploy env picks the config file's section while loading, before overrides apply.
    if (flag.key === 'deployEnv') argv.push(`--env=${value}`);
    else overrides[flag.key] = convert(name, flag.kind, value);
  }
  if (!('port' in overrides) && !env.PORT && !argv.some((a) => a === '--port' || a.startsWith('--port='))) overrides.port = DEFAULT_PORT;
  // The original answered machines across the network; the gateway's own default is loopback.
  if (!env.GATEWAY_IP_ADDRESS && !argv.some((a) => a === '--ip-address' || a.startsWith('--ip-address='))) overrides.ipAddress = '';
  return { overrides, argv };
}

async function main(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    // The schema's help lists most original flags already; add those it names differently.
    const schema = schemaFlags(gatewaySchema(MODULES));
    const original = Object.entries(ORIGINAL_FLAGS)
      .filter(([flag]) => !schema.has(flag))
      .map(([flag, { key, env }]): [string, string] => [`--${flag}`, `Same as ${env} (setting ${key})`]);
    process.stdout.write(helpText(PROGRAM, MODULES, [...original, ['-h, --help', 'Print this help and exit']]));
    return;
  }
  const parsed = orExit(PROGRAM, () => hostSecretsLaunch(args, process.env));
  await launch(parsed.overrides, { program: PROGRAM, argv: parsed.argv, modules: MODULES, configName: PROGRAM });
}

// Run only as the program (the bin is a symlink to this file), not when tests import the parser.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => fail(PROGRAM, (err as Error).message, 1));
}
