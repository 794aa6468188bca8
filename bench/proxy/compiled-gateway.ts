/**
 * The gateway as it is deployed: compiled JavaScript run by plain node, not TypeScript through
 * tsx (whose loader alone adds ~40 MB of RSS and would count against the streaming target).
 * Each src/ file is transpiled (TypeScript's transpileModule, the same emit as `npm run build`,
 * without the type check) into a private temporary tree, so the shared dist/ is never touched;
 * package.json, config/ and node_modules/ are linked beside it where the code looks for them.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { repoRoot } from './processes.js';

export interface CompiledGateway {
  /** The `taskcluster-proxy` bin inside the compiled tree: the proxy as tasks' sidecars run it. */
  entry: string;
  remove(): void;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

export function compileGateway(): CompiledGateway {
  const root = mkdtempSync(join(tmpdir(), 'bench-gateway-build-'));
  const src = join(repoRoot, 'src');
  const compilerOptions: ts.CompilerOptions = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  for (const file of sources(src)) {
    const out = join(root, 'dist', relative(src, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file }).outputText);
  }
  for (const name of ['package.json', 'config', 'node_modules']) symlinkSync(join(repoRoot, name), join(root, name));
  return { entry: join(root, 'dist', 'cli', 'taskcluster-proxy.js'), remove: () => rmSync(root, { recursive: true, force: true }) };
}
