/** `PUT /credentials` has no settings of its own: it swaps the shared credential holder. */
import { requireCredentials } from '../../config/settings.js';
import { definePluginModule, NOT_SERVED } from '../../fastify/capability.js';
import { credentialsRoutes } from './routes.js';
import { credentialsPlugin, type CredentialsPluginOptions } from './index.js';

export const credentialsModule = definePluginModule({
  name: 'credentials',
  schema: {},
  documentedRoutes: () => credentialsRoutes(NOT_SERVED, NOT_SERVED),
  // what it signs with (services.holder() holds them)
  check: (_settings, services) => void requireCredentials(services.credentials),
  async create(_settings, services) {
    const options: CredentialsPluginOptions = { holder: services.holder() };
    return { plugin: credentialsPlugin, options };
  },
});
