/**
 * Dockerflow endpoints every listener serves, whatever plugins it has: load-balancer and
 * health checks plus the version document.
 */
import type { FastifyPluginAsync } from 'fastify';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withinDeadline } from '../core/deadline.js';

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

export const dockerflowRoutes: FastifyPluginAsync<DockerflowOptions> = async (app, options) => {
  const routeConfig = { config: { scopes: null } };
  const deadlineMs = options.checkDeadlineMs ?? HEARTBEAT_CHECK_DEADLINE_MS;
  app.get('/__lbheartbeat__', routeConfig, async () => ({}));
  app.get('/__version__', routeConfig, async () => versionInfo);
  app.get('/__heartbeat__', routeConfig, async (request, reply) => {
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
  });
};
