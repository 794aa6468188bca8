// An upstream's error may quote a URL with a credential in its query (a bewit, an access token):
// taskcluster-client passes the queue's own `message` on as its error's, fetch and undici quote the
// URL they were given. What the program makes of it (the exit line, its log) quotes the URL
// without it. Only userinfo was taken out before: `?bewit=` and `?accessToken=` went through whole.
import t from 'tap';
import { runBin } from '../helpers/spawn-bin.js';
import { startFakeTaskcluster } from '../helpers/fake-taskcluster.js';

const TASK_ID = 'fN1SbArXTPSVFNUvaOlinQ';
/** A message as an upstream might word it: a `?` in the prose, then two URLs holding credentials. */
const QUOTING = 'Not yet? retry https://tc.example/api/queue/v1/task/T?bewit=BEWIT-NOT-SHOWN or https://q.example/x?region=eu&accessToken=TOKEN-NOT-SHOWN';
const QUOTED = 'Not yet? retry https://tc.example/api/queue/v1/task/T?bewit=[REDACTED] or https://q.example/x?region=eu&accessToken=[REDACTED]';

t.test('a task the queue refuses (4xx) or fails to serve (5xx) until the bound: the queue\'s message quoted without the credentials in its URLs', async (t) => {
  const tc = await startFakeTaskcluster();
  t.teardown(() => tc.close());
  tc.route({ path: `/api/queue/v1/task/${TASK_ID}`, status: 400, body: { code: 'InputError', message: QUOTING }, times: 1 });
  tc.route({ path: `/api/queue/v1/task/${TASK_ID}`, status: 500, body: { code: 'InternalServerError', message: QUOTING } });
  const args = ['-p', '0', '--root-url', tc.rootUrl, '--client-id', 'c', '--access-token', 't', '-t', TASK_ID, '--startup-wait-ms', '1000'];
  // one after the other: the first takes the one 400
  const refused = await runBin('taskcluster-proxy', args);
  const expired = await runBin('taskcluster-proxy', args);
  t.equal(refused.stderr, `taskcluster-proxy: Could not fetch Taskcluster task '${TASK_ID}' from ${tc.rootUrl}: ${QUOTED}\n`, 'a 4xx: one line, the message with its URLs\' credentials replaced');
  t.equal(refused.code, 1);
  t.equal(expired.code, 2, 'a 5xx until the bound: exit 2');
  t.equal(expired.stderr, `taskcluster-proxy: gave up waiting for task ${TASK_ID} from the queue at ${tc.rootUrl} after 1 s: Could not fetch Taskcluster task '${TASK_ID}' from ${tc.rootUrl}: ${QUOTED}\n`, 'the last failure quoted the same way');
  for (const run of [refused, expired]) t.notMatch(run.stdout + run.stderr, /NOT-SHOWN/, 'no bewit nor access token, in the exit line or the log');
});
