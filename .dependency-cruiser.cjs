/**
 * The layering of issue 17, checked by `npm test` (`npm run layers`):
 *   src/core      Taskcluster mechanics: imports nothing else of src
 *   src/config    the schema and its loading: knows no plugin, no Fastify layer
 *   src/plugins/<name>  one capability each: never another plugin, never the composition
 *   src/cli       the programs: nothing imports them
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-only-core',
      comment: 'src/core has no Fastify, no config, no plugin: a module under it imports nothing of src outside src/core',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'config-knows-no-plugin',
      comment: 'src/config composes settings from the capabilities handed to it: it imports only core and config',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/(core|config)/' },
    },
    {
      name: 'plugin-imports-no-other-plugin',
      comment: 'a capability stays encapsulated: what two plugins share lives in src/core, src/net or src/fastify',
      severity: 'error',
      from: { path: '^src/plugins/([^/]+)/' },
      to: { path: '^src/plugins/', pathNot: '^src/plugins/$1/' },
    },
    {
      name: 'plugin-imports-no-composition',
      comment: 'a plugin is composed by the server, never the other way round',
      severity: 'error',
      from: { path: '^src/plugins/' },
      to: { path: '^src/(server|index)\\.ts$' },
    },
    {
      name: 'kit-imports-no-plugin',
      comment: 'the shared Fastify layer serves every plugin and knows none',
      severity: 'error',
      from: { path: '^src/(fastify|net|routes)/' },
      to: { path: '^src/(plugins|cli)/|^src/(server|index)\\.ts$' },
    },
    {
      name: 'nothing-imports-cli',
      comment: 'src/cli holds the programs (argv, signals, exit codes); nothing imports them',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-unresolvable-import',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
