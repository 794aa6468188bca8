// quotableMessage: a lower layer's message (fetch's, undici's, an upstream's answer) with every
// URL it quotes stripped of its credentials; the rest of the words as they were.
import t from 'tap';
import { quotableMessage, withoutUrlCredentials, REDACTED } from '../../src/core/url-credentials.js';

t.test('every quoted URL loses its credentials: query parameters, userinfo, escaped ones', async (t) => {
  const cases: Array<[string, string]> = [
    ['fetch failed: https://q.example/api/queue/v1/task/T?bewit=BEWIT-1',
      'fetch failed: https://q.example/api/queue/v1/task/T?bewit=[REDACTED]'],
    ["request to 'https://q.example/x?a=1&accessToken=TOKEN-1' failed, reason: connect ECONNREFUSED",
      "request to 'https://q.example/x?a=1&accessToken=[REDACTED] failed, reason: connect ECONNREFUSED"],
    ['Request cannot be constructed from a URL that includes credentials: https://u:PASSWORD-1@q.example/',
      'Request cannot be constructed from a URL that includes credentials: https://[REDACTED]@q.example/'],
    ['see https://q.example/?next=https%3A%2F%2Fr.example%2F%3Ftoken%3DTOKEN-2 (moved)',
      'see https://q.example/?next=[REDACTED] (moved)'],
    ['no URL here, nothing to hide: connect ECONNREFUSED 127.0.0.1:1', 'no URL here, nothing to hide: connect ECONNREFUSED 127.0.0.1:1'],
    ['100% of https://q.example/a?b=1 answered', '100% of https://q.example/a?b=1 answered'],
  ];
  for (const [message, quoted] of cases) t.equal(quotableMessage(message), quoted, message);
});

t.test('a URL after a ? in the prose, or after another URL: read word by word, not as one URL', async (t) => {
  // over the whole text, withoutUrlCredentials takes the first `?` as the query's start: what
  // follows is one parameter named by the prose, and the token after it is left as it was
  const cases: Array<[string, string]> = [
    ['Is the queue up? GET https://q.example/x?accessToken=TOKEN-3 timed out',
      'Is the queue up? GET https://q.example/x?accessToken=[REDACTED] timed out'],
    ['redirected from https://a.example/?x=1 to https://b.example/?bewit=BEWIT-2',
      'redirected from https://a.example/?x=1 to https://b.example/?bewit=[REDACTED]'],
  ];
  for (const [message, quoted] of cases) {
    t.match(withoutUrlCredentials(message, REDACTED), /TOKEN-3|BEWIT-2/, 'the one-URL reading misses it');
    t.equal(quotableMessage(message), quoted, message);
  }
});

t.test('quoting twice changes nothing more', async (t) => {
  const once = quotableMessage('a https://u:p@q.example/?bewit=B&token=T b');
  t.equal(quotableMessage(once), once);
});
