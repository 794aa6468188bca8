#!/usr/bin/env node
/**
 * `npm run build:sea`: the `taskcluster-proxy` preset as one native executable (Node's single
 * executable application support), for generic-worker's `taskclusterProxyExecutable`.
 *
 *   1. scripts/bundle-proxy.mjs bundles src/cli/taskcluster-proxy.ts and its dependencies into one
 *      CommonJS file (an SEA can load nothing from disk but Node's builtins);
 *   2. `node --experimental-sea-config` turns it into a blob, with V8's code cache of it (the
 *      functions compiled ahead: start-up without most of the compiling, bench/results/startup.md);
 *   3. postject injects the blob into a copy of that node binary: build/sea/taskcluster-proxy.
 * The executable ships Node 24: steps 2 and 3 use the official Node 24 build that
 * scripts/node-line.sh fetches (or the binary named by SEA_NODE), whichever node runs this script.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleProxy } from './bundle-proxy.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(repo, 'build/sea');
const bundle = join(outDir, 'taskcluster-proxy.cjs');
const blob = join(outDir, 'taskcluster-proxy.blob');
const executable = join(outDir, 'taskcluster-proxy');
const SEA_NODE_LINE = '24';
// postject's marker for Node's SEA blob (fixed for every Node version that supports SEA).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const seaNode = process.env.SEA_NODE
  || join(execFileSync(join(repo, 'scripts/node-line.sh'), [SEA_NODE_LINE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim(), 'bin/node');
const seaNodeVersion = execFileSync(seaNode, ['--version'], { encoding: 'utf8' }).trim();

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
await bundleProxy(bundle, `node${seaNodeVersion.slice(1)}`);

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
