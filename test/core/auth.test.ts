// What core/auth.ts keeps of verified exts (the resolved-ext cache): only confirmed resolutions,
// within 10,000 entries and ~16 M characters however large each one is, the least recently used
// leaving first; a resolution heavier than the whole budget is not kept, and nothing throws.
import t from 'tap';
import { confirmResolved, resolveCredentials, type ClientDirectory, type ClientRecord } from '../../src/core/index.js';

const root: ClientRecord = { clientId: 'root', accessToken: 'r'.repeat(44), scopes: ['*'] };
const MI = 1024 * 1024;

/** A directory whose every expansion also holds `padding` characters of its own (changeable), counting its calls. */
function paddedDirectory(padding: number): ClientDirectory & { padding: number; expansions: number } {
  const directory = {
    padding,
    expansions: 0,
    client: (id: string) => (id === root.clientId ? root : undefined),
    expand: (scopes: string[]) => {
      directory.expansions++;
      return directory.padding > 0 ? [...scopes, `padding:${'p'.repeat(directory.padding)}`] : [...scopes];
    },
  };
  return directory;
}

const extOf = (i: number) => Buffer.from(JSON.stringify({ authorizedScopes: [`queue:scope-${i}`] })).toString('base64');

/** Resolve and confirm (as after a verified MAC) the ext of each of `indexes`. */
async function keep(directory: ClientDirectory, indexes: Iterable<number>): Promise<void> {
  for (const i of indexes) confirmResolved(await resolveCredentials(directory, root.clientId, extOf(i)));
}

/** Which of `indexes` are kept: a kept resolution comes back as the very same object. */
async function kept(directory: ClientDirectory, indexes: number[]): Promise<number[]> {
  const found: number[] = [];
  for (const i of indexes) {
    const first = await resolveCredentials(directory, root.clientId, extOf(i));
    if ((await resolveCredentials(directory, root.clientId, extOf(i))) === first) found.push(i);
  }
  return found;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

t.test('a resolution is kept once its MAC is confirmed, and then answered without expanding again', async (t) => {
  const directory = paddedDirectory(0);
  const first = await resolveCredentials(directory, root.clientId, extOf(1));
  t.not(await resolveCredentials(directory, root.clientId, extOf(1)), first, 'not kept before its MAC verified');
  confirmResolved(first);
  const third = await resolveCredentials(directory, root.clientId, extOf(1));
  const expansions = directory.expansions;
  t.equal(await resolveCredentials(directory, root.clientId, extOf(1)), third, 'kept once confirmed');
  t.equal(directory.expansions, expansions, 'a kept resolution expands nothing');
});

t.test('resolutions are kept within ~16 M characters, the least recently used leaving first', async (t) => {
  // each resolution holds just under 1 Mi characters (its key and scopes too): 16 Mi characters hold 16
  const directory = paddedDirectory(MI - 1024);
  await keep(directory, range(0, 40));
  t.same(await kept(directory, range(0, 40)), range(24, 40), 'the 16 most recent are kept, the older ones gone');
});

t.test('a resolution heavier than the whole budget is not kept, throws nothing and evicts nothing', async (t) => {
  const directory = paddedDirectory(0);
  await keep(directory, [1, 2]);
  directory.padding = 17 * MI;
  const huge = await resolveCredentials(directory, root.clientId, extOf(3));
  t.doesNotThrow(() => confirmResolved(huge), 'confirming it throws nothing');
  t.same(await kept(directory, [1, 2, 3]), [1, 2], 'it is not kept, and what was kept stays');
});

t.test('resolutions are kept up to 10,000, the oldest leaving first', async (t) => {
  const directory = paddedDirectory(0);
  await keep(directory, range(0, 10_001));
  t.same(await kept(directory, [0, 1, 10_000]), [1, 10_000], 'the 10,001st evicted the first only');
});
