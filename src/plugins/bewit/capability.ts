/** Settings of `/bewit`: how long the signed URLs it hands out stay valid. */
import { requireCredentials } from '../../config/settings.js';
import { definePluginModule, NOT_SERVED } from '../../fastify/capability.js';
import { bewitRoutes } from './routes.js';
import { bewitPlugin, type BewitPluginOptions } from './index.js';
import { BEWIT_DEFAULTS } from './signed-url.js';

export const bewitSchema = {
  bewit: {
    ttlSec: {
      doc: 'Lifetime of the URLs signed by /bewit, in seconds (taskcluster-proxy: 1 hour)',
      format: 'nat', default: BEWIT_DEFAULTS.ttlSec as number, env: 'GATEWAY_BEWIT_TTL_SEC', arg: 'bewit-ttl-sec',
    },
  },
};

export const bewitModule = definePluginModule({
  name: 'bewit',
  schema: bewitSchema,
  documentedRoutes: () => bewitRoutes(NOT_SERVED, BEWIT_DEFAULTS.ttlSec, NOT_SERVED),
  // what it signs with (services.holder() holds them)
  check: (_settings, services) => void requireCredentials(services.credentials),
  async create({ bewit: settings }, services) {
    const options: BewitPluginOptions = { holder: services.holder(), ttlSec: settings.ttlSec };
    return { plugin: bewitPlugin, options };
  },
});
