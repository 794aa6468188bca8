/**
 * esbuild plugins for a bundle whose top level runs while a V8 start-up snapshot is taken (the
 * single executable, scripts/build-sea.mjs). Node cannot keep node:http, node:https, node:http2 or
 * node:tls in a user snapshot (the build aborts in V8: `CheckGlobalAndEternalHandles failed`, the
 * HTTP parser's and nghttp2's bindings hold native handles), and Fastify, undici and prom-client
 * require them at their top level. So:
 *
 *   - each of those builtins becomes an object that requires it on the first read of one of its
 *     properties, at run time; its export names (for esbuild's ES-module interop) and the plain
 *     data some modules read at their top level (http.STATUS_CODES, http.METHODS, http2.constants)
 *     come from the Node that the executable ships, read by `builtinFacts` at build time: the same
 *     binary gives the same values when it runs. Any other read while the snapshot is taken fails
 *     the build, naming the builtin and the property;
 *   - undici's two reads of node:http at its top level wait until they are used (UNDICI_REWRITES).
 * A builtin the code never uses at run time is never loaded (node:http2 unless an HTTP/2 origin,
 * node:tls and node:https unless an https origin).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

export const LAZY_BUILTINS = ['http', 'https', 'http2', 'tls'];
/** Plain data that modules read at their top level, the same for every run of one Node binary. */
const DATA = { http: ['STATUS_CODES', 'METHODS'], http2: ['constants'] };

/** What the node binary at `node` exports from each lazy builtin: names, and DATA's values. */
export function builtinFacts(node) {
  const script = `
    const data = ${JSON.stringify(DATA)};
    const facts = {};
    for (const name of ${JSON.stringify(LAZY_BUILTINS)}) {
      const builtin = require('node:' + name);
      facts[name] = { keys: Object.getOwnPropertyNames(builtin), data: Object.fromEntries((data[name] ?? []).map((key) => [key, builtin[key]])) };
    }
    process.stdout.write(JSON.stringify(facts));`;
  return JSON.parse(execFileSync(node, ['-e', script], { encoding: 'utf8' }));
}

// The object standing for one builtin; `load` requires the real one.
const LAZY_BUILTIN_RUNTIME = `
module.exports = function lazyBuiltin(name, facts, load) {
  let real;
  const builtin = (key) => {
    if (real === undefined) {
      if (require('node:v8').startupSnapshot.isBuildingSnapshot()) {
        throw new Error('node:' + name + '.' + String(key) + ' read while the start-up snapshot is taken: node:' + name + ' cannot be in it (scripts/snapshot-builtins.mjs)');
      }
      real = load();
    }
    return real;
  };
  const has = (key) => facts.keys.includes(key);
  return new Proxy({}, {
    get: (_, key) => {
      if (real === undefined && key === '__esModule') return undefined;
      if (real === undefined && Object.hasOwn(facts.data, key)) return facts.data[key];
      return builtin(key)[key];
    },
    set: (_, key, value) => { builtin(key)[key] = value; return true; },
    has: (_, key) => (real === undefined ? has(key) : key in real),
    ownKeys: () => (real === undefined ? [...facts.keys] : Reflect.ownKeys(real)),
    getOwnPropertyDescriptor: (_, key) => (has(key) ? { configurable: true, enumerable: true, writable: true, value: undefined } : undefined),
  });
};`;

/** The plugin: `facts` from builtinFacts(node of the executable). */
export function lazyBuiltins(facts) {
  const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
  return {
    name: 'lazy-builtins',
    setup(b) {
      b.onResolve({ filter }, (args) => {
        const name = args.path.replace(/^node:/, '');
        // the real builtin, required by the stand-in below
        if (args.namespace === 'lazy-builtins') return { path: `node:${name}`, external: true };
        return { path: name, namespace: 'lazy-builtins' };
      });
      b.onResolve({ filter: /^lazy-builtin-runtime$/ }, () => ({ path: 'runtime', namespace: 'lazy-builtin-runtime' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin-runtime' }, () => ({ contents: LAZY_BUILTIN_RUNTIME, loader: 'js' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtins' }, (args) => ({
        contents: `module.exports = require('lazy-builtin-runtime')(${JSON.stringify(args.path)}, ${JSON.stringify(facts[args.path])}, () => require('node:${args.path}'));`,
        loader: 'js',
      }));
    },
  };
}

/**
 * undici's two reads of node:http at its top level, deferred to their use at run time, so that
 * undici is evaluated in the snapshot too: core/util.js keeps node:http's IncomingMessage class
 * to compare a stream's with; dispatcher/client.js decides once how to read the process's
 * `http.maxHeaderSize` (a constant of the process: reading it when a client is made gives what
 * undici's read gives). The build fails if undici's source no longer has these lines.
 */
const UNDICI_REWRITES = {
  'lib/core/util.js': [
    ["const { IncomingMessage } = require('node:http')\n", ''],
    ['.constructor === IncomingMessage)', ".constructor === require('node:http').IncomingMessage)"],
  ],
  'lib/dispatcher/client.js': [[
    "const getDefaultNodeMaxHeaderSize = http &&\n  http.maxHeaderSize &&\n  Number.isInteger(http.maxHeaderSize) &&\n  http.maxHeaderSize > 0\n  ? () => http.maxHeaderSize\n  : () => { throw new InvalidArgumentError('http module not available or http.maxHeaderSize invalid') }\n",
    "const getDefaultNodeMaxHeaderSize = () => {\n  if (http && http.maxHeaderSize && Number.isInteger(http.maxHeaderSize) && http.maxHeaderSize > 0) return http.maxHeaderSize\n  throw new InvalidArgumentError('http module not available or http.maxHeaderSize invalid')\n}\n",
  ]],
};

/** The plugin for UNDICI_REWRITES. */
export const undiciForSnapshot = {
  name: 'undici-for-snapshot',
  setup(b) {
    b.onLoad({ filter: /node_modules\/undici\/lib\/(core\/util|dispatcher\/client)\.js$/ }, (args) => {
      const file = Object.keys(UNDICI_REWRITES).find((f) => args.path.endsWith(`/undici/${f}`));
      let contents = readFileSync(args.path, 'utf8');
      for (const [from, to] of UNDICI_REWRITES[file]) {
        if (!contents.includes(from)) throw new Error(`snapshot-builtins: undici's ${file} changed; update UNDICI_REWRITES (${JSON.stringify(from.slice(0, 60))})`);
        contents = contents.replace(from, to);
      }
      return { contents, loader: 'js' };
    });
  },
};

/**
 * The `debug` package, evaluated when it first writes or is asked, at run time: it reads DEBUG,
 * every DEBUG_* variable and the terminal's colours when it is evaluated, and @fastify/swagger's
 * json-schema-resolver requires it on registration without writing anything: were a warm-up
 * (src/cli/snapshot-warm-up.ts) ever to register swagger, it would keep the build's environment
 * and ignore the executable's. Its use while the snapshot is taken fails the build.
 */
const LAZY_DEBUG = `
let real;
const load = () => {
  if (require('node:v8').startupSnapshot.isBuildingSnapshot()) throw new Error('debug used while the start-up snapshot is taken (scripts/snapshot-builtins.mjs)');
  return (real ??= require('debug'));
};
const forward = (target) => ({
  apply: (_, self, args) => Reflect.apply(target(), self, args),
  get: (_, key) => target()[key],
  set: (_, key, value) => { target()[key] = value; return true; },
});
module.exports = new Proxy(function createDebug() {}, {
  ...forward(load),
  apply: (_, self, args) => {
    let instance;
    return new Proxy(function debug() {}, forward(() => (instance ??= load()(...args))));
  },
});`;

export const lazyDebug = {
  name: 'lazy-debug',
  setup(b) {
    b.onResolve({ filter: /^debug$/ }, (args) => (args.namespace === 'lazy-debug' ? undefined : { path: 'debug', namespace: 'lazy-debug' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-debug' }, () => ({ contents: LAZY_DEBUG, resolveDir: repo, loader: 'js' }));
  },
};
