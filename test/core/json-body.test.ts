import t from 'tap';
import { cleanPayload } from '../../src/core/errors.js';
import { jsonBoundsProblem, MAX_JSON_DEPTH, MAX_JSON_VALUES, parseJsonBody } from '../../src/core/json-body.js';

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

t.test('the bounds: depth and values counted outside strings only', async (t) => {
  const cases: Array<[string, string, string | undefined]> = [
    ['at the depth limit', nested(MAX_JSON_DEPTH), undefined],
    ['one level deeper', nested(MAX_JSON_DEPTH + 1), `JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`],
    ['objects count as levels', `${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${'}'.repeat(MAX_JSON_DEPTH + 1)}`, `JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`],
    ['brackets inside strings', JSON.stringify({ s: nested(MAX_JSON_DEPTH * 10) }), undefined],
    ['escaped quotes do not end a string', JSON.stringify({ s: `\\"${nested(MAX_JSON_DEPTH * 10)}` }), undefined],
    ['siblings do not add depth', `[${Array.from({ length: 1000 }, () => nested(50)).join(',')}]`, undefined],
    ['at the value limit', `[${'0,'.repeat(MAX_JSON_VALUES - 1)}0]`, undefined],
    ['one value more', `[${'0,'.repeat(MAX_JSON_VALUES)}0]`, `JSON body holds more than ${MAX_JSON_VALUES} values`],
    ['many empty containers', `[${'[],'.repeat(MAX_JSON_VALUES / 2)}[]]`, `JSON body holds more than ${MAX_JSON_VALUES} values`],
    ['commas inside strings', JSON.stringify([','.repeat(MAX_JSON_VALUES * 2)]), undefined],
  ];
  for (const [name, text, problem] of cases) t.equal(jsonBoundsProblem(text), problem, name);
});

t.test('parseJsonBody: InputError past the bounds, MalformedPayload without echoing the text', async (t) => {
  t.same(parseJsonBody('{"a":[1,{"b":null}]}'), { a: [1, { b: null }] });
  t.throws(() => parseJsonBody(nested(20_000)), { code: 'InputError', statusCode: 400, message: `JSON body is nested deeper than ${MAX_JSON_DEPTH} levels` });
  t.throws(() => parseJsonBody(`{"x":${nested(1_000_000)}}`), { code: 'InputError' });
  t.throws(() => parseJsonBody('{"password": "pw-value"'), { code: 'MalformedPayload', message: 'Failed to parse JSON payload' });
});

t.test('cleanPayload: no stack however deep, keys kept in order as data, secrets omitted', async (t) => {
  let deep: unknown = { password: 'pw' };
  for (let i = 0; i < 200_000; i++) deep = [deep];
  let cleaned = cleanPayload(deep);
  for (let i = 0; i < 200_000; i++) cleaned = (cleaned as unknown[])[0];
  t.same(cleaned, { password: '(OMITTED)' }, 'walked to the bottom without recursion');
  const poisoned = JSON.parse('{"b":1,"__proto__":{"polluted":true},"a":{"token":"t","keep":[1,"x",null]}}');
  const copy = cleanPayload(poisoned) as Record<string, unknown>;
  t.equal(JSON.stringify(copy), '{"b":1,"__proto__":{"polluted":true},"a":{"token":"(OMITTED)","keep":[1,"x",null]}}');
  t.equal(Object.getPrototypeOf(copy), Object.prototype, 'a __proto__ field stays a field');
  t.equal(cleanPayload('text'), 'text');
  t.equal(cleanPayload(null), null);
});
