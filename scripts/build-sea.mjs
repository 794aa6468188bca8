#!/usr/bin/env node
/**
 * `npm run build:sea`: the `taskcluster-proxy` preset as one native executable (Node's single
 * executable application support), for generic-worker's `taskclusterProxyExecutable`.
 *
 *   1. esbuild bundles src/cli/taskcluster-proxy.ts and its dependencies into one CommonJS file;
 *   2. `node --experimental-sea-config` turns it into a blob;
 *   3. postject injects the blob into a copy of that node binary: build/sea/taskcluster-proxy.
 * The executable ships Node 24: steps 2 and 3 use the official Node 24 build that
 * scripts/node-line.sh fetches (or the binary named by SEA_NODE), whichever node runs this script.
 *
 * The binary carries only the proxy, bewit and credentials plugins (the preset passes just those
 * modules to launch): storage code (the secrets plugin with better-sqlite3 and pg) must not be
 * in it, and the build fails if it is.
 * An SEA can load nothing from disk but Node's builtins, so the bundle must be self-contained.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(repo, 'src/cli/taskcluster-proxy.ts');
const outDir = join(repo, 'build/sea');
const bundle = join(outDir, 'taskcluster-proxy.cjs');
const blob = join(outDir, 'taskcluster-proxy.blob');
const executable = join(outDir, 'taskcluster-proxy');
// Inputs whose presence means storage code made it into the bundle.
const FORBIDDEN_INPUTS = [/node_modules\/better-sqlite3\//, /node_modules\/pg\//, /src\/plugins\/secrets\//];
const SEA_NODE_LINE = '24';
// postject's marker for Node's SEA blob (fixed for every Node version that supports SEA).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

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

const seaNode = process.env.SEA_NODE
  || join(execFileSync(join(repo, 'scripts/node-line.sh'), [SEA_NODE_LINE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim(), 'bin/node');
const seaNodeVersion = execFileSync(seaNode, ['--version'], { encoding: 'utf8' }).trim();

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const result = await build({
  entryPoints: [entry],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: `node${seaNodeVersion.slice(1)}`,
  format: 'cjs',
  metafile: true,
  logLevel: 'warning',
  plugins: [inlinePackageJson],
  // In an SEA, __filename is the executable: paths the sources make relative to their own file
  // (config/<name>.yml, two levels up from dist/cli) are taken relative to it, and are optional.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: 'const importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
});
const forbidden = Object.keys(result.metafile.inputs).filter((input) => FORBIDDEN_INPUTS.some((re) => re.test(input)));
if (forbidden.length > 0) {
  console.error(`build-sea: storage code reached the bundle:\n  ${forbidden.join('\n  ')}`);
  process.exit(1);
}
const unresolvedReads = readFileSync(bundle, 'utf8').match(/new URL\("(?:\.\.\/)+package\.json"/g);
if (unresolvedReads) {
  console.error('build-sea: the bundle still reads package.json from disk; update inlinePackageJson in scripts/build-sea.mjs');
  process.exit(1);
}

const seaConfig = join(outDir, 'sea-config.json');
writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
// quiet unless they fail (postject warns about every ELF note it skips); a failure shows their output
const quiet = { stdio: ['ignore', 'pipe', 'pipe'] };
execFileSync(seaNode, ['--experimental-sea-config', seaConfig], quiet);
copyFileSync(seaNode, executable);
chmodSync(executable, 0o755);
execFileSync(process.execPath, [join(repo, 'node_modules/postject/dist/cli.js'), executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], quiet);
for (const intermediate of [seaConfig, blob]) rmSync(intermediate);
console.log(`build-sea: ${executable} (linux-${process.arch}, node ${seaNodeVersion})`);
