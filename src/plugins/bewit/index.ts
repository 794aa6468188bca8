/** `/bewit`: URLs signed with the gateway's current credentials (routes.ts). It only composes. */
import type { CredentialHolder } from '../../core/holder.js';
import { identityHeaders } from '../../core/identity-headers.js';
import { capabilityPlugin } from '../../fastify/capability.js';
import { declareRoutes } from '../../fastify/routes.js';
import { versionInfo } from '../../routes/dockerflow.js';
import { bewitRoutes } from './routes.js';
import { BEWIT_DEFAULTS } from './signed-url.js';

export interface BewitPluginOptions {
  holder: CredentialHolder;
  /** Lifetime of each bewit (default 1 hour, as taskcluster-proxy). */
  ttlSec?: number;
}

export const bewitPlugin = capabilityPlugin<BewitPluginOptions>('bewit', async (app, options) => {
  const headersFor = identityHeaders({ version: versionInfo.version, revision: versionInfo.commit });
  await declareRoutes(app, bewitRoutes(options.holder, options.ttlSec ?? BEWIT_DEFAULTS.ttlSec, headersFor));
});
