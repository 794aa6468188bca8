// Every capability the gateway can enable. A new capability adds one line here.
import type { PluginModule } from '../fastify/capability.js';
import { hostSecretsModule } from './host-secrets/capability.js';
import { relengapiModule } from './relengapi/capability.js';
import { secretsModule } from './secrets/capability.js';
import { proxyModule } from './proxy/capability.js';
import { bewitModule } from './bewit/capability.js';
import { credentialsModule } from './credentials/capability.js';

export const pluginModules: PluginModule[] = [hostSecretsModule, relengapiModule, secretsModule, proxyModule, bewitModule, credentialsModule];
