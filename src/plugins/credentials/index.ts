/** `PUT /credentials`: replace the credentials the gateway signs with (routes.ts). It only composes. */
import type { CredentialHolder } from '../../core/holder.js';
import { identityHeaders } from '../../core/identity-headers.js';
import { capabilityPlugin } from '../../fastify/capability.js';
import { declareRoutes } from '../../fastify/routes.js';
import { versionInfo } from '../../routes/dockerflow.js';
import { credentialsRoutes } from './routes.js';

export interface CredentialsPluginOptions {
  holder: CredentialHolder;
}

export const credentialsPlugin = capabilityPlugin<CredentialsPluginOptions>('credentials', async (app, options) => {
  const headersFor = identityHeaders({ version: versionInfo.version, revision: versionInfo.commit });
  await declareRoutes(app, credentialsRoutes(options.holder, headersFor));
});
