import t from 'tap';
import { BoundedMemo, listWeight, STRING_OVERHEAD } from '../../src/core/bounded-memo.js';

t.test('a memo empties whole when a bound would be passed, by count or by characters', async (t) => {
  const byCount = new BoundedMemo<number>(2, 1_000);
  byCount.set('a', 1, 0);
  byCount.set('b', 2, 0);
  t.same([byCount.get('a'), byCount.get('b'), byCount.size], [1, 2, 2]);
  byCount.set('c', 3, 0);
  t.same([byCount.get('a'), byCount.get('c'), byCount.size], [undefined, 3, 1], 'the third entry emptied it first');

  const byWeight = new BoundedMemo<string>(100, 100);
  byWeight.set('k1', 'x', 40);
  byWeight.set('k2', 'y', 40);
  t.equal(byWeight.weight, 84, 'keys count too');
  byWeight.set('k3', 'z', 40);
  t.same([byWeight.get('k1'), byWeight.get('k3'), byWeight.weight], [undefined, 'z', 42], 'past the weight it emptied first');

  byWeight.set('k3', 'w', 10);
  t.same([byWeight.get('k3'), byWeight.weight, byWeight.size], ['w', 12, 1], 'a replaced entry gives back its weight');

  byWeight.set('huge', 'h', 1_000);
  t.same([byWeight.get('huge'), byWeight.get('k3')], [undefined, 'w'], 'an entry above the bound is not kept, and empties nothing');
});

t.test('listWeight counts characters and each string\'s overhead', async (t) => {
  t.equal(listWeight([]), 0);
  t.equal(listWeight(['ab', 'cde']), 5 + 2 * STRING_OVERHEAD);
});
