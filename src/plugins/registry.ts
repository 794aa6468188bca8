// Every capability the gateway can enable. A new capability adds one line here.
import type { PluginModule } from './module.js';
import { hostSecretsModule } from './host-secrets/config.js';
import { relengapiModule } from './relengapi/config.js';
import { secretsModule } from './secrets/config.js';
import { proxyModule } from './proxy/config.js';
import { bewitModule } from './bewit/config.js';
import { credentialsModule } from './credentials/config.js';

export const pluginModules: PluginModule<any>[] = [hostSecretsModule, relengapiModule, secretsModule, proxyModule, bewitModule, credentialsModule];
