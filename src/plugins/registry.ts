// Every capability the gateway can enable. A new capability adds one line here.
import type { PluginModule } from './module.js';

export const pluginModules: PluginModule<any>[] = [];
