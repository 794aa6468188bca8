/**
 * A task's scopes, read from the queue without credentials (task definitions are public), as
 * taskcluster-proxy's --task-id and relengapi-proxy do at start; waiting for the queue
 * (./wait.ts) while it does not answer.
 */
import { quotableMessage, quotableUrl } from './url-credentials.js';
import { waitFor, type WaitOptions } from './wait.js';

/** The queue answered that the task does not exist (or refused to show it): not worth waiting for. */
export class TaskNotReadable extends Error {
  constructor(message: string, readonly statusCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TaskNotReadable';
  }
}

export type TaskWait = Pick<WaitOptions, 'boundMs' | 'log'>;

/** The task's scopes; TaskNotReadable for a 4xx, WaitExpired when the queue does not answer within the bound. */
export async function fetchTaskScopes(rootUrl: string, taskId: string, wait: TaskWait): Promise<string[]> {
  // loaded here, only when a task is read: the library adds ~39 MB of resident memory to a proxy
  // that otherwise never uses it (the streaming target caps RSS at 150 MB)
  const { default: taskcluster } = await import('taskcluster-client');
  // one request per attempt: waitFor retries with its own backoff and bound
  const queue = new taskcluster.Queue({ rootUrl, credentials: {}, retries: 0 });
  const failure = `Could not fetch Taskcluster task '${taskId}' from ${quotableUrl(rootUrl)}`;
  const task = await waitFor(async () => {
    try {
      return (await queue.task(taskId)) as { scopes?: unknown };
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      const why = status === 404 ? 'task not found' : quotableMessage((err as Error).message);
      if (status !== undefined && status < 500) throw new TaskNotReadable(`${failure}: ${why}`, status, { cause: err });
      throw new Error(`${failure}: ${why}`, { cause: err });
    }
  }, { ...wait, what: `task ${taskId} from the queue at ${quotableUrl(rootUrl)}`, retryable: (err) => !(err instanceof TaskNotReadable) });
  const scopes = task.scopes ?? [];
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) throw new Error(`task '${taskId}' has scopes that are not a list of strings`);
  return scopes;
}
