/**
 * RelengAPI permissions a task may use, derived from its scopes as the original relengapi-proxy
 * did: `docker-worker:relengapi-proxy:<permission>`. The task is read anonymously from the queue
 * (task definitions are public), so reading it needs none of the gateway's credentials.
 */
import taskcluster from 'taskcluster-client';

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
  /** How often taskcluster-client retries a failed read (5xx, connection errors); its default when unset. */
  retries?: number;
}

/**
 * The task's RelengAPI permissions; NoPermissionsError when the task is unknown or grants none,
 * a plain Error when the queue cannot answer (after taskcluster-client's retries).
 */
export async function fetchTaskPermissions(taskId: string, source: TaskSource): Promise<string[]> {
  const queue = new taskcluster.Queue({
    rootUrl: source.rootUrl,
    credentials: {},
    ...(source.retries !== undefined ? { retries: source.retries } : {}),
  });
  let task: { scopes?: string[] };
  try {
    task = await queue.task(taskId);
  } catch (err) {
    const failure = `Could not fetch Taskcluster task '${taskId}' from ${source.rootUrl}`;
    if ((err as { statusCode?: number }).statusCode === 404) throw new NoPermissionsError(`${failure}: task not found`, { cause: err });
    throw new Error(`${failure}: ${(err as Error).message}`, { cause: err });
  }
  const permissions = permissionsFromScopes(task.scopes ?? []);
  if (permissions.length === 0) {
    throw new NoPermissionsError(`No RelengAPI permission scopes (matching '${PERMISSION_SCOPE_PREFIX}*') found on task ${taskId}`);
  }
  return permissions;
}
