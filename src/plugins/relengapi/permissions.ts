/**
 * RelengAPI permissions a task may use, derived from its scopes as the original relengapi-proxy
 * did: `docker-worker:relengapi-proxy:<permission>`. The task is read anonymously from the queue
 * (task definitions are public), so reading it needs none of the gateway's credentials.
 */
import { fetchTaskScopes, TaskNotReadable, type TaskWait } from '../../core/task.js';

export const PERMISSION_SCOPE_PREFIX = 'docker-worker:relengapi-proxy:';

/**
 * The permission named by each scope with the prefix. A scope ending in `*` grants nothing: a
 * RelengAPI permission is an exact name, and the original refused wildcards too.
 */
export function permissionsFromScopes(scopes: readonly string[]): string[] {
  const permissions = new Set<string>();
  for (const scope of scopes) {
    if (!scope.startsWith(PERMISSION_SCOPE_PREFIX) || scope.endsWith('*')) continue;
    const permission = scope.slice(PERMISSION_SCOPE_PREFIX.length);
    if (permission !== '') permissions.add(permission);
  }
  return [...permissions];
}

/** The task does not exist or grants no RelengAPI permission: the gateway refuses to start (or answers 403). */
export class NoPermissionsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NoPermissionsError';
  }
}

export interface TaskSource {
  rootUrl: string;
  /** How long to wait for a queue that does not answer (core/wait.ts); default: one attempt. */
  wait?: TaskWait;
}

/**
 * The task's RelengAPI permissions; NoPermissionsError when the task is unknown or grants none,
 * an Error when the queue cannot answer (WaitExpired once the wait's bound has passed).
 */
export async function fetchTaskPermissions(taskId: string, source: TaskSource): Promise<string[]> {
  let scopes: string[];
  try {
    scopes = await fetchTaskScopes(source.rootUrl, taskId, source.wait ?? { boundMs: 0, log: { info() {} } });
  } catch (err) {
    if (err instanceof TaskNotReadable && err.statusCode === 404) throw new NoPermissionsError(err.message, { cause: err });
    throw err;
  }
  const permissions = permissionsFromScopes(scopes);
  if (permissions.length === 0) {
    throw new NoPermissionsError(`No RelengAPI permission scopes (matching '${PERMISSION_SCOPE_PREFIX}*') found on task ${taskId}`);
  }
  return permissions;
}
