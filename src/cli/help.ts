// `--help` text generated from the convict schema, so it lists every flag and cannot go stale.
import { gatewaySchema, schemaFlags } from '../config/load.js';
import type { PluginModule } from '../fastify/capability.js';

export function helpText(program: string, modules: readonly PluginModule<any>[], extra: Array<[string, string]> = []): string {
  const lines = [`Usage: ${program} [flags]`, '', 'Every flag can also be set by its environment variable or in a config file (--config).', ''];
  for (const [flag, { spec }] of [...schemaFlags(gatewaySchema(modules))].sort(([a], [b]) => a.localeCompare(b))) {
    const env = spec.env ? ` [env ${String(spec.env)}]` : '';
    const fallback = spec.sensitive ? ' (sensitive; never printed)' : ` (default: ${JSON.stringify(spec.default)})`;
    lines.push(`  --${flag}${env}${fallback}`, `      ${String(spec.doc ?? '')}`);
  }
  for (const [flag, doc] of extra) lines.push(`  ${flag}`, `      ${doc}`);
  return lines.join('\n') + '\n';
}
