/**
 * Start-up benchmark (performance.md, "Sidecar start-up and footprint"): how soon a freshly
 * started proxy answers, and how much memory it then holds, beside a bare Node server on the
 * same Node binary. Builds the single executable (Node 24) and the dist bin, then starts every
 * row STARTS times, interleaved. Writes bench/results/startup.md. Takes 1–2 minutes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuBusy, machineFacts, priorityFact, raisePriority, waitForQuietMachine } from './proxy/machine.js';
import { benchDir, freePort, repoRoot } from './proxy/processes.js';
import { container, containerUnavailable, distBin, floor, nodeLine, singleExecutable, type Row } from './startup/launchers.js';
import { IDLE_MS, startOnce, type Launcher, type Start } from './startup/measure.js';
import { categorize, medianCategories, profiledStart, type CpuProfile } from './startup/profile.js';
import { renderReport } from './startup/report.js';

const STARTS = 12;
const PROFILES = 5;
// the image npm run test:image builds (scripts/test-image.sh), on the engine DOCKER_HOST names
const IMAGE = process.env.TEST_IMAGE_TAG ?? 'taskcluster-gateway:test';

/**
 * `npm run build` into a private tree (the checkout's dist/ is left alone), laid out as installed;
 * `bundled: false` stops before scripts/bundle-proxy.mjs, for the module tree's figures beside it.
 * The bundle step runs on `node`, the Node of the rows, as the Docker image builds and runs on one
 * Node: the compile cache it writes is that Node's.
 */
function buildDist(bundled: boolean, node: string): { entry: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'bench-startup-dist-'));
  const dist = join(root, 'dist');
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dist], { cwd: repoRoot, stdio: 'inherit' });
  if (bundled) execFileSync(node, [join(repoRoot, 'scripts/bundle-proxy.mjs'), dist], { cwd: repoRoot, stdio: 'inherit' });
  for (const name of ['package.json', 'config', 'node_modules']) symlinkSync(join(repoRoot, name), join(root, name));
  return { entry: join(dist, 'cli/taskcluster-proxy.js'), remove: () => rmSync(root, { recursive: true, force: true }) };
}

async function main(): Promise<void> {
  const restorePriority = raisePriority();
  const node = nodeLine('24');
  const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  execFileSync(process.execPath, [join(repoRoot, 'scripts/build-sea.mjs')], { stdio: 'inherit' });
  const sea = join(repoRoot, 'build/sea/taskcluster-proxy');
  const dist = buildDist(true, node);
  const tree = buildDist(false, node);
  const mb = (path: string) => `${(statSync(path).size / 2 ** 20).toFixed(1)} MB`;
  try {
    const launchers: Partial<Record<Row, Launcher>> = { floor: floor(node), sea: singleExecutable(sea), dist: distBin(node, dist.entry), tree: distBin(node, tree.entry) };
    const rows: Record<Row, Start[] | { unavailable: string }> = { floor: [], sea: [], dist: [], tree: [], container: [] };
    const noContainer = containerUnavailable(IMAGE);
    if (noContainer) rows.container = { unavailable: noContainer };
    else launchers.container = container(IMAGE);

    // the binaries mapped as read from disk: pages a build has just written sit in the page cache
    // in larger pieces, and map into the resident set by the piece (up to 15 MB more here)
    for (const binary of [node, sea]) execFileSync('dd', [`if=${binary}`, 'iflag=nocache', 'count=0', 'status=none']);
    const busyAtStart = await waitForQuietMachine(0.25, 20_000);
    const busy: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      for (const [row, launcher] of Object.entries(launchers) as Array<[Row, Launcher]>) {
        const starts = rows[row] as Start[];
        starts.push(await startOnce(launcher, await freePort()));
        console.log(`${row} #${i + 1}: ${starts.at(-1)!.ms.toFixed(0)} ms, ${starts.at(-1)!.rssMb.toFixed(1)} MB`);
      }
      busy.push(await cpuBusy(300));
    }
    // where the single executable's start goes; the last profile is kept for a closer look
    const profiles: Array<Record<string, number>> = [];
    let profileText = '';
    for (let i = 0; i < PROFILES; i++) {
      profileText = await profiledStart(launchers.sea!, await freePort());
      profiles.push(categorize(JSON.parse(profileText) as CpuProfile, /taskcluster-proxy/));
    }
    writeFileSync(join(benchDir, '..', 'results', 'startup-sea.cpuprofile'), profileText);
    const otherWork = Math.max(...busy);
    const pct = (f: number) => `${(f * 100).toFixed(0)}%`;
    const report = renderReport({
      date: new Date().toISOString(),
      machine: machineFacts({
        'Node for every row': `${nodeVersion} (scripts/node-line.sh 24)`,
        priority: priorityFact(),
        'CPU busy with other work': `${pct(busyAtStart)} at the start, up to ${pct(otherWork)} between rounds`,
      }),
      caution: otherWork > 0.3 ? `other work kept up to ${pct(otherWork)} of the CPUs busy between rounds; start times stretch with it, the ratios less.` : undefined,
      starts: STARTS,
      idleMs: IDLE_MS,
      rows,
      profile: medianCategories(profiles),
      profiles: PROFILES,
      sizes: { 'bundle': mb(join(repoRoot, 'build/sea/taskcluster-proxy.cjs')), 'single executable': mb(sea) },
    });
    mkdirSync(join(benchDir, '..', 'results'), { recursive: true });
    writeFileSync(join(benchDir, '..', 'results', 'startup.md'), report);
    console.log(report);
  } finally {
    dist.remove();
    tree.remove();
    restorePriority();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
