// What a worker's proxy receives on PUT /credentials when its task is reclaimed: new temporary
// task credentials, issued by the queue. Shared by the generic-worker and docker-worker scenarios.
import { createTemporaryCredentials, type Credentials } from '../../src/core/index.js';

export function reclaimedTaskCredentials(queue: { clientId: string; accessToken: string }): Credentials {
  return createTemporaryCredentials({
    clientId: 'task-client/abc/0/on/worker-group/worker-1/until/1700000000',
    start: new Date(Date.now() - 60_000),
    expiry: new Date(Date.now() + 3_600_000),
    scopes: ['queue:*', 'secrets:get:*'],
    credentials: { clientId: queue.clientId, accessToken: queue.accessToken },
  });
}
