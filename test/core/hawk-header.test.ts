// The one-pass header scan (core/hawk-header.ts) against hawk's own parser on generated headers,
// most of them malformed: whenever the scan answers, hawk accepts the header with exactly the same
// attributes; whatever the scan leaves, the gateway refuses with hawk's own message.
import fc from 'fast-check';
import hawk from 'hawk';
import t from 'tap';
import { HawkSigner } from '../../src/core/index.js';
import { hawkMaterial } from '../../src/core/hawk-material.js';
import { scanHawkHeader } from '../../src/core/hawk-header.js';

type Reading = { attributes: Record<string, string> } | { error: string };

/** hawk's attributes for a header it accepts. */
function hawkAttributes(header: string): Record<string, string> {
  return hawk.utils.parseAuthorizationHeader(header);
}

function hawkReading(header: string): Reading {
  try {
    return { attributes: { ...hawk.utils.parseAuthorizationHeader(header) } };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** The scan's answer with its absent attributes left out, as hawk's object has them. */
function scanned(header: string): Record<string, string> | undefined {
  const found = scanHawkHeader(header);
  return found && Object.fromEntries(Object.entries(found).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

const names = ['id', 'ts', 'nonce', 'hash', 'ext', 'mac', 'app', 'dlg'];
const valueChar = fc.constantFrom('a', 'Z', '0', '9', '_', '+', '/', '=', ' ', ',', '-', '~', '!', '"', '\\', '\n', '\t', '\r', 'é', '\u2028', '\x7f', '\x00', '`', '{');
const value = fc.oneof(
  fc.string({ unit: valueChar, minLength: 0, maxLength: 10 }),
  fc.constantFrom('project/root', '1764550000', 'MWmnV3', 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq=', 'eyJjZXJ0aWZpY2F0ZSI6e319'),
);
const attribute = fc.record({
  name: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.constantFrom('user', 'ID', 'i d', '', 'mac ', ' ts', 'x-y', 'id2', 'é') }),
  value,
  form: fc.oneof({ weight: 8, arbitrary: fc.constant('plain') }, { weight: 1, arbitrary: fc.constantFrom('bare', 'spaced', 'unclosed', 'single') }),
  separator: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(', ', ',') }, { weight: 2, arbitrary: fc.constantFrom(' , ', ' ', '', ',,', '\t,', ',  ', ', \n', ';', ' ,') }),
});
const written = ({ name, value: v, form }: { name: string; value: string; form: string }) =>
  form === 'plain' ? `${name}="${v}"` : form === 'bare' ? `${name}=${v}` : form === 'spaced' ? `${name} = "${v}"` : form === 'unclosed' ? `${name}="${v}` : `${name}='${v}'`;
const header = fc.record({
  scheme: fc.oneof({ weight: 6, arbitrary: fc.constant('Hawk') }, { weight: 1, arbitrary: fc.constantFrom('hawk', 'HAWK', 'Hawk2', 'Basic', '', 'Ha wk', 'Hawk,') }),
  gap: fc.oneof({ weight: 6, arbitrary: fc.constant(' ') }, { weight: 1, arbitrary: fc.constantFrom('  ', '', '\t', ' \n', '\n') }),
  attributes: fc.array(attribute, { minLength: 0, maxLength: 9 }),
  tail: fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom(' ', ',', ', ', 'x', '"', '\n', ' \t') }),
}).map(({ scheme, gap, attributes, tail }) => `${scheme}${gap}${attributes.map((a, i) => written(a) + (i < attributes.length - 1 ? a.separator : '')).join('')}${tail}`);

t.test('whenever the scan reads a header, hawk reads the same attributes from it', async (t) => {
  let read = 0;
  let accepted = 0;
  fc.assert(fc.property(header, (h) => {
    const ours = scanned(h);
    const theirs = hawkReading(h);
    if ('attributes' in theirs) accepted += 1;
    if (ours === undefined) return true;
    read += 1;
    return 'attributes' in theirs && JSON.stringify(Object.entries(ours).sort()) === JSON.stringify(Object.entries(theirs.attributes).sort());
  }), { numRuns: 20_000 });
  t.ok(read > 500 && read > accepted * 0.6, `the scan read ${read} of the 20,000 generated headers (hawk accepted ${accepted}), each as hawk does`);
});

t.test('every header, read or not by the scan, gets hawk\'s verdict from the gateway, with hawk\'s message', async (t) => {
  const request = (authorization: string) => ({ method: 'GET', resource: '/x', host: 'gw.test', port: 443, authorization });
  let refused = 0;
  fc.assert(fc.property(header.filter((h) => h !== ''), (h) => {
    const theirs = hawkReading(h);
    let ours: Reading;
    try {
      const material = hawkMaterial(request(h));
      ours = { attributes: material.scheme === 'hawk' ? material.attributes as unknown as Record<string, string> : {} };
    } catch (err) {
      ours = { error: (err as Error).message };
    }
    if ('error' in theirs) {
      refused += 1;
      // hawk's message, or the gateway's own for hawk's bare 401 (Boom.unauthorized with no message)
      return 'error' in ours && ours.error === (theirs.error || 'Invalid Authorization header');
    }
    // accepted by hawk: then the gateway reads the same attributes, or refuses on its own stricter checks
    if ('error' in ours) return /^(Missing attributes|Invalid id|Invalid timestamp|Invalid nonce)/.test(ours.error);
    return names.every((n) => ours.attributes[n] === theirs.attributes[n]);
  }), { numRuns: 5000 });
  t.ok(refused > 1000, `${refused} refused by hawk, each with hawk's message`);
});

t.test('the headers clients send are read by the scan', async (t) => {
  const signer = new HawkSigner({ clientId: 'project/root', accessToken: 'r'.repeat(44) }, ['secrets:get:x']);
  const ours = signer.header({ method: 'GET', host: 'gw.test', port: 443, resource: '/x' });
  t.same(scanned(ours), hawkAttributes(ours), "core HawkSigner's header (with ext)");
  const { header: theirs } = hawk.client.header('https://gw.test/x', 'POST', { credentials: { id: 'project/root', key: 'k', algorithm: 'sha256' }, ext: 'some ext', payload: '{}', contentType: 'application/json' });
  t.same(scanned(theirs), hawkAttributes(theirs), "hawk's client header (with hash and ext)");
  t.same(scanned('Hawk id="a", ts="1", nonce="n", mac="m", '), { id: 'a', ts: '1', nonce: 'n', mac: 'm' }, 'a trailing comma, as hawk allows');
  t.equal(scanned(`Hawk id="${'a'.repeat(4100)}"`), undefined, "over hawk's length limit: left to hawk");
  t.match(hawkReading(`Hawk id="${'a'.repeat(4100)}"`), { error: 'Header length too long' });
});

t.test('each attribute is read into its own name, and a repeated one is left to hawk', async (t) => {
  for (const name of names) {
    const once = `Hawk ${name}="v-${name}"`;
    t.same(scanned(once), { [name]: `v-${name}` }, `${name} alone`);
    t.same(scanned(once), hawkAttributes(once), `${name} alone, as hawk reads it`);
    const twice = `Hawk ${name}="a", ${name}="b"`;
    t.equal(scanned(twice), undefined, `${name} twice: left to hawk`);
    t.same(hawkReading(twice), { error: `Duplicate attribute: ${name}` }, `${name} twice: hawk refuses it`);
  }
});
