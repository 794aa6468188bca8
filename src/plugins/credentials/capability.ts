/** `PUT /credentials` has no settings of its own: it swaps the shared credential holder. */
import { definePluginModule, NOT_SERVED } from '../../fastify/capability.js';
import { credentialsRoutes } from './routes.js';
import { credentialsPlugin, type CredentialsPluginOptions } from './index.js';

export const credentialsModule = definePluginModule({
  name: 'credentials',
  schema: {},
  documentedRoutes: () => credentialsRoutes(NOT_SERVED, NOT_SERVED),
  async create(_settings, services) {
    const options: CredentialsPluginOptions = { holder: services.holder() };
    return { plugin: credentialsPlugin, options };
  },
});
