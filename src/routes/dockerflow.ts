/**
 * Dockerflow endpoints every listener serves, whatever plugins it has: load-balancer and
 * health checks plus the version document.
 */
import type { FastifyPluginAsync } from 'fastify';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withinDeadline } from '../core/deadline.js';
import { declareRoutes, type ApiRoute } from '../fastify/routes.js';

const packageJson = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { name: string; version: string };

export interface VersionInfo {
  source: string;
  version: string;
  commit: string;
  build: string;
}

export const versionInfo: VersionInfo = {
  source: 'https://github.com/taskcluster/taskcluster-gateway',
  version: packageJson.version,
  commit: process.env.GATEWAY_GIT_COMMIT ?? 'unknown',
  build: process.env.GATEWAY_BUILD ?? 'local',
};

/** A check not settled by then has failed: a monitor must get an answer, not a hung request. */
export const HEARTBEAT_CHECK_DEADLINE_MS = 5000;

/**
 * A /__heartbeat__ check: resolves when its dependency is healthy, 'degraded' when the gateway
 * serves without it on a fallback (per-process state instead of Redis), rejects when it cannot serve.
 */
export type HeartbeatCheck = () => Promise<void | 'degraded'>;

export interface DockerflowOptions {
  /** Checks run by /__heartbeat__. */
  checks?: Record<string, HeartbeatCheck>;
  /** Default HEARTBEAT_CHECK_DEADLINE_MS. */
  checkDeadlineMs?: number;
}

const versionAnswer = {
  type: 'object',
  properties: { source: { type: 'string' }, version: { type: 'string' }, commit: { type: 'string' }, build: { type: 'string' } },
  required: ['source', 'version', 'commit', 'build'],
} as const;

const heartbeatAnswer = {
  type: 'object',
  properties: {
    status: { enum: ['ok', 'degraded', 'error'] },
    checks: { type: 'object', additionalProperties: { enum: ['ok', 'degraded', 'error'] } },
  },
  required: ['status', 'checks'],
} as const;

/** The Dockerflow table; public routes, HEAD answered as GET (monitors and balancers send it). */
export function dockerflowTable(options: DockerflowOptions): ApiRoute[] {
  const deadlineMs = options.checkDeadlineMs ?? HEARTBEAT_CHECK_DEADLINE_MS;
  const common = { method: 'GET', scopes: null, answersHead: true } as const;
  return [
    {
      ...common,
      url: '/__lbheartbeat__',
      name: 'lbheartbeat',
      title: 'Load Balancer Heartbeat',
      description: 'Answers `{}` while the process serves, without checking anything it depends on.',
      output: { type: 'object' },
      handler: async () => ({}),
    },
    {
      ...common,
      url: '/__version__',
      name: 'version',
      title: 'Version',
      description: 'The Dockerflow version document: source, version, commit, build.',
      output: versionAnswer,
      handler: async () => versionInfo,
    },
    {
      ...common,
      url: '/__heartbeat__',
      name: 'heartbeat',
      title: 'Heartbeat',
      description: `Runs every check of what this listener depends on (databases, tokens, Redis) at once, each within ${deadlineMs} ms: 200 when all pass (status \`degraded\` when one serves on a fallback), else 503, naming each check's outcome.`,
      output: heartbeatAnswer,
      handler: async (request, reply) => {
        // all at once, so the answer takes one deadline at most, however many checks fail
        const outcomes = await Promise.all(Object.entries(options.checks ?? {}).map(async ([name, check]) => {
          try {
            const outcome = await withinDeadline(check(), deadlineMs, () => new Error(`no answer within ${deadlineMs} ms`));
            return [name, outcome ?? 'ok'] as const;
          } catch (err) {
            request.log.warn({ err, check: name }, 'heartbeat check failed');
            return [name, 'error'] as const;
          }
        }));
        const failed = outcomes.some(([, outcome]) => outcome === 'error');
        const degraded = outcomes.some(([, outcome]) => outcome === 'degraded');
        // Dockerflow's own body, not an error: the failing checks are named in it. Degraded is 200:
        // the replica still serves, and a balancer reading this route must not drop it for that
        return reply.code(failed ? 503 : 200).send({ status: failed ? 'error' : degraded ? 'degraded' : 'ok', checks: Object.fromEntries(outcomes) });
      },
    },
  ];
}

export const dockerflowRoutes: FastifyPluginAsync<DockerflowOptions> = async (app, options) => {
  await declareRoutes(app, dockerflowTable(options));
};
