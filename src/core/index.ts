// The Taskcluster mechanics every plugin stands on; no Fastify here.
export * from './errors.js';
export * from './scopes.js';
export * from './credentials.js';
export * from './roles.js';
export * from './auth.js';
export * from './hawk.js';
export * from './holder.js';
export * from './local-auth.js';
export * from './remote-auth.js';
