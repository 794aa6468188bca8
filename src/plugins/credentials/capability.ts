/** `PUT /credentials` has no settings of its own: it swaps the shared credential holder. */
import { definePluginModule } from '../../fastify/capability.js';
import { credentialsPlugin, type CredentialsPluginOptions } from './index.js';

export const credentialsModule = definePluginModule({
  name: 'credentials',
  schema: {},
  async create(_settings, services) {
    const options: CredentialsPluginOptions = { holder: services.holder() };
    return { plugin: credentialsPlugin, options };
  },
});
