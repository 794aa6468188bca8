#!/usr/bin/env node
/**
 * The `taskcluster-proxy` bin as one CommonJS file, for the sidecar that a worker starts per task
 * and waits for (bench/results/startup.md): what the single executable runs
 * (scripts/build-sea.mjs), and, from `npm run build`, what dist/cli/taskcluster-proxy.js loads.
 * One file starts faster than the module tree: no module resolution and file reads, and, on
 * Node 24, no ES-module view of node:http (building it loads Node's own copy of undici).
 *
 *   node scripts/bundle-proxy.mjs [DIST]   bundles into DIST/cli (default dist/, after tsc)
 *
 * The bundle carries only the proxy, bewit and credentials plugins (the bin passes just those
 * modules to launch): storage code (the secrets plugin with better-sqlite3 and pg) must not be in
 * it, and the build fails if it is. It takes from undici only the dispatcher the forwarder uses.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { lazyBuiltins, lazyDebug, undiciForSnapshot } from './snapshot-builtins.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(repo, 'src/cli/taskcluster-proxy.ts');
/** Node's compile cache of the dist bundle, beside it (bundleIntoDist). */
const COMPILE_CACHE = 'taskcluster-proxy.compile-cache';
// Inputs whose presence means storage code made it into the bundle.
const FORBIDDEN_INPUTS = [/node_modules\/better-sqlite3\//, /node_modules\/pg\//, /src\/plugins\/secrets\//];

/** The package.json read at start (versions for /__version__ and --version) becomes a constant. */
const inlinePackageJson = {
  name: 'inline-package-json',
  setup(b) {
    const { name, version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    const read = /readFileSync\(fileURLToPath\(new URL\('(?:\.\.\/)+package\.json', import\.meta\.url\)\), 'utf8'\)/g;
    b.onLoad({ filter: /\/src\/.*\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(read, JSON.stringify(JSON.stringify({ name, version }))),
      loader: 'ts',
    }));
  },
};

/**
 * `undici` is, for the gateway, its Agent and the dispatch API under it (src/net/forwarder): the
 * package's index also evaluates fetch, WebSocket, cookies, caches and mocks, a third of the
 * proxy's start-up. Any other name imported from undici fails the build.
 */
const undiciDispatcherOnly = {
  name: 'undici-dispatcher-only',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'undici-dispatcher-only' }));
    b.onLoad({ filter: /.*/, namespace: 'undici-dispatcher-only' }, () => ({
      contents: "export { default as Agent } from 'undici/lib/dispatcher/agent.js';",
      resolveDir: repo,
      loader: 'js',
    }));
  },
};

/**
 * Writes the bundle to `outfile` (node `target`, e.g. 'node24'). With `snapshot` (builtinFacts()
 * of the Node that runs it, scripts/snapshot-builtins.mjs), its top level can run while a V8
 * start-up snapshot is taken, and `import.meta.url` is the executable's, read where it is used.
 */
export async function bundleProxy(outfile, target, { snapshot } = {}) {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target,
    format: 'cjs',
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [inlinePackageJson, undiciDispatcherOnly, ...(snapshot ? [lazyBuiltins(snapshot), undiciForSnapshot, lazyDebug] : [])],
    // the bundle's file (in the single executable, the executable, whose __filename a snapshot
    // would keep from the build): paths the sources make relative to their own file
    // (config/<name>.yml, two levels up from dist/cli) stay as they are.
    define: { 'import.meta.url': 'importMeta.url' },
    banner: { js: `const importMeta = { get url() { return require("node:url").pathToFileURL(${snapshot ? 'process.execPath' : '__filename'}).href; } };` },
  });
  const forbidden = Object.keys(result.metafile.inputs).filter((input) => FORBIDDEN_INPUTS.some((re) => re.test(input)));
  if (forbidden.length > 0) throw new Error(`bundle-proxy: storage code reached the bundle:\n  ${forbidden.join('\n  ')}`);
  if (/new URL\("(?:\.\.\/)+package\.json"/.test(readFileSync(outfile, 'utf8'))) {
    throw new Error('bundle-proxy: the bundle still reads package.json from disk; update inlinePackageJson in scripts/bundle-proxy.mjs');
  }
}

/**
 * After tsc: the bin's module becomes a loader of the bundle beside it (same path for every
 * caller), with V8's code cache of the bundle in Node's compile cache beside it too (Node >= 22.1:
 * the bundle's functions compiled ahead, bench/results/startup-steps.md). The cache is written
 * here, by the node running the build, as `--version` loads the bundle: the sidecar is SIGKILLed,
 * so a cache written when it exits would never be. A node of another version finds no entry for
 * itself and compiles as without it (and writes its own there on a clean exit, where it can);
 * before Node 24.12 the cache is only found where the build wrote it (its keys hold the path).
 */
async function bundleIntoDist(dist) {
  const cli = join(dist, 'cli');
  // the oldest supported line: dist runs on whichever node is installed
  await bundleProxy(join(cli, 'taskcluster-proxy.bundle.cjs'), 'node20');
  rmSync(join(cli, 'taskcluster-proxy.js.map'), { force: true });
  const loader = join(cli, 'taskcluster-proxy.js');
  writeFileSync(loader, [
    '#!/usr/bin/env node',
    '// taskcluster-proxy: the bundle of src/cli/taskcluster-proxy.ts (scripts/bundle-proxy.mjs), loaded as CommonJS,',
    '// compiled with the help of the code cache `npm run build` wrote into taskcluster-proxy.compile-cache.',
    "import module, { createRequire } from 'node:module';",
    "import { fileURLToPath } from 'node:url';",
    `const directory = fileURLToPath(new URL('./${COMPILE_CACHE}', import.meta.url));`,
    '// portable (Node >= 24.12): keyed by paths relative to the cache, as the tree is copied after the build',
    'try { module.enableCompileCache?.({ directory, portable: true }); } catch { module.enableCompileCache(directory); }',
    "createRequire(import.meta.url)('./taskcluster-proxy.bundle.cjs');",
    '',
  ].join('\n'));
  const cache = join(cli, COMPILE_CACHE);
  rmSync(cache, { recursive: true, force: true });
  if (typeof module.enableCompileCache === 'function') {
    // the loader's directory, not one the environment names
    const { NODE_COMPILE_CACHE, ...env } = process.env;
    execFileSync(process.execPath, [loader, '--version'], { stdio: 'ignore', env });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleIntoDist(resolve(process.argv[2] ?? join(repo, 'dist')));
}
