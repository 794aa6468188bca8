/**
 * `taskcluster-proxy --task-id`: the task's scopes, read from the queue without credentials
 * (task definitions are public), as the original does.
 */
export async function fetchTaskScopes(rootUrl: string, taskId: string): Promise<string[]> {
  // loaded here, only with --task-id: the library adds ~39 MB of resident memory to a proxy
  // that otherwise never uses it (the streaming target caps RSS at 150 MB)
  const { default: taskcluster } = await import('taskcluster-client');
  const queue = new taskcluster.Queue({ rootUrl, credentials: {}, retries: 2 });
  let task: { scopes?: unknown };
  try {
    task = await queue.task(taskId);
  } catch (err) {
    throw new Error(`could not fetch taskcluster task '${taskId}': ${(err as Error).message}`, { cause: err });
  }
  const scopes = task.scopes ?? [];
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) throw new Error(`task '${taskId}' has scopes that are not a list of strings`);
  return scopes;
}
