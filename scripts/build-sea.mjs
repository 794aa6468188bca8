#!/usr/bin/env node
/**
 * `npm run build:sea`: the `taskcluster-proxy` preset as one native executable (Node's single
 * executable application support), for generic-worker's `taskclusterProxyExecutable`.
 *
 *   1. scripts/bundle-proxy.mjs bundles src/cli/taskcluster-proxy.ts and its dependencies into one
 *      CommonJS file (an SEA can load nothing from disk but Node's builtins);
 *   2. `node --experimental-sea-config` runs the bundle's top level (every module evaluated, the
 *      program not started: src/cli/taskcluster-proxy.ts) and keeps the heap as a V8 start-up
 *      snapshot in the blob: the executable starts from it (bench/results/startup-steps.md). The
 *      bundle is built for it (scripts/snapshot-builtins.mjs: node:http and its kin required when
 *      first used). What that top level reads from the build's process, audited with every such
 *      read trapped: pino's clock for its isoTimeNano timestamps (unused: the log writes epoch
 *      milliseconds), yargs-parser's minimum-Node check, Node's FORCE_COLOR; no random value, no
 *      argv, no other environment variable. Math.random and the crypto pools are reseeded by Node
 *      when the snapshot is deserialized (test/deploy/sea.test.ts checks nonces between runs).
 *      Then the start's path runs once on a fixed configuration and is closed
 *      (src/cli/snapshot-warm-up.ts), so that the snapshot holds its compiled code and the modules
 *      it loads on first use; audited the same way: avvio's clock and Math.random for its plugin
 *      timings (per app, dropped with it), one log line's time (written nowhere), and the debug
 *      package's DEBUG, which is why that package waits for its first use
 *      (scripts/snapshot-builtins.mjs; the test builds with credentials and DEBUG set and finds
 *      none of them in the executable);
 *   3. postject injects the blob into a copy of that node binary: build/sea/taskcluster-proxy.
 * The executable ships Node 24: steps 2 and 3 use the official Node 24 build that
 * scripts/node-line.sh fetches (or the binary named by SEA_NODE), whichever node runs this script.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleProxy } from './bundle-proxy.mjs';
import { builtinFacts } from './snapshot-builtins.mjs';

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
await bundleProxy(bundle, `node${seaNodeVersion.slice(1)}`, { snapshot: builtinFacts(seaNode) });

const seaConfig = join(outDir, 'sea-config.json');
writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useSnapshot: true }));
// quiet unless they fail (postject warns about every ELF note it skips); a failure shows their output
const quiet = { stdio: ['ignore', 'pipe', 'pipe'] };
execFileSync(seaNode, ['--experimental-sea-config', seaConfig], quiet);
copyFileSync(seaNode, executable);
chmodSync(executable, 0o755);
execFileSync(process.execPath, [join(repo, 'node_modules/postject/dist/cli.js'), executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], quiet);
for (const intermediate of [seaConfig, blob]) rmSync(intermediate);
console.log(`build-sea: ${executable} (linux-${process.arch}, node ${seaNodeVersion})`);
