/**
 * Just enough of a Dockerfile parser for the image test to run what the image runs: stages with
 * their instructions (continuation lines joined, comments dropped), exec-form JSON arrays, ENV.
 */
import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

export function parseDockerfile(path: string): Stage[] {
  const lines = readFileSync(path, 'utf8').split('\n').filter((line) => !/^\s*#/.test(line));
  const logical = lines.join('\n').replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter(Boolean);
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s+(.*)$/.exec(line)!;
    if (keyword!.toUpperCase() === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args!)!;
      stages.push({ from: from!, name, instructions: [] });
    } else {
      stages.at(-1)!.instructions.push({ keyword: keyword!.toUpperCase(), args: args! });
    }
  }
  return stages;
}

export function instructions(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** `ENV A=1 B=2` lines of a stage, in order. */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of instructions(stage, 'ENV')) {
    for (const pair of args.split(/\s+/)) {
      const [key, value] = pair.split(/=(.*)/);
      env[key!] = value!;
    }
  }
  return env;
}

/** An exec-form (JSON array) argument, e.g. of ENTRYPOINT; HEALTHCHECK options before CMD are skipped. */
export function execForm(args: string): string[] {
  return JSON.parse(args.slice(args.indexOf('['))) as string[];
}
