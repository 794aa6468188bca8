// Property (issue 12.1): whenever the gateway's verifier accepts a request, the hawk library's own
// server functions, with the auth service's rules on top (test/helpers/signature-validator.ts),
// accept the same request as the same client, and the gateway grants no scope beyond what the
// ext hawk verified allows. Requests are generated honest and then bent: duplicate bewits (forged
// before or after the real one), bewits in the path, percent-encoded bewits, swapped or repeated
// ext attributes, odd timestamps, second Authorization headers, odd separators and encodings.
import fc from 'fast-check';
import hawk from 'hawk';
import t from 'tap';
import taskcluster from 'taskcluster-client';
import scopeLib from 'taskcluster-lib-scopes';
import { verifyRequest, type AuthenticatedCaller } from '../../src/core/index.js';
import { directoryOf } from '../helpers/directory.js';
import { signatureValidator, type SignatureResult } from '../helpers/signature-validator.js';

const issuer = { clientId: 'project/p', accessToken: 'p'.repeat(22) + 'P'.repeat(22), scopes: ['secrets:get:*', 'queue:*', 'auth:create-client:project/named/*'] };
const roles = [{ roleId: 'anonymous', scopes: ['secrets:get:public/*'] }];
const directory = directoryOf([issuer], roles);
const oracle = signatureValidator(directory);

interface Signer { id: string; key: string; ext: string | undefined }

const extOf = (value: Record<string, unknown>) => Buffer.from(JSON.stringify(value)).toString('base64');
const hour = 3600_000;
const temporary = taskcluster.createTemporaryCredentials({ start: new Date(Date.now() - 60_000), expiry: new Date(Date.now() + hour), scopes: ['secrets:get:*'], credentials: issuer });
const named = taskcluster.createTemporaryCredentials({ clientId: 'project/named/t', start: new Date(Date.now() - 60_000), expiry: new Date(Date.now() + hour), scopes: ['secrets:get:a/*', 'queue:get:x'], credentials: issuer });
const narrow = ['secrets:get:a/*'];

/** Who signs: permanent and temporary credentials, with and without authorizedScopes. */
const signers: Signer[] = [
  { id: issuer.clientId, key: issuer.accessToken, ext: undefined },
  { id: issuer.clientId, key: issuer.accessToken, ext: extOf({ authorizedScopes: narrow }) },
  { id: temporary.clientId, key: temporary.accessToken, ext: extOf({ certificate: JSON.parse(temporary.certificate) }) },
  { id: temporary.clientId, key: temporary.accessToken, ext: extOf({ certificate: JSON.parse(temporary.certificate), authorizedScopes: narrow }) },
  { id: named.clientId, key: named.accessToken, ext: extOf({ certificate: JSON.parse(named.certificate) }) },
  { id: named.clientId, key: named.accessToken, ext: extOf({ certificate: JSON.parse(named.certificate), authorizedScopes: ['queue:get:x'] }) },
];

const HOST = 'gw.test';
const PORT = 8080;
const credentialsOf = (s: Signer) => ({ id: s.id, key: s.key, algorithm: 'sha256' as const });
const bewitFor = (s: Signer, resource: string) => hawk.client.getBewit(`http://${HOST}:${PORT}${resource}`, { credentials: credentialsOf(s), ttlSec: 600, ...(s.ext ? { ext: s.ext } : {}) });
/** A bewit with the signer's id and another signer's ext and a MAC that cannot verify. */
const forgedBewit = (s: Signer, ext: string | undefined) => Buffer.from(`${s.id}\\9999999999\\AAAA\\${ext ?? ''}`).toString('base64url');
const appendQuery = (resource: string, part: string) => `${resource}${resource.includes('?') ? '&' : '?'}${part}`;

const queryPart = fc.tuple(fc.constantFrom('a', 'x', 'bewit', 'b%65wit', 'BEWIT', ''), fc.constantFrom('', '1', '%', '%20', '=', '+', '?', '/', 'a%26bewit%3Dx'))
  .map(([name, value]) => `${name}=${value}`);
const resource = fc.tuple(
  fc.constantFrom('/api/secrets/v1/secret/a%2Fb', '/api/x', '/a&b/c', '/p;q', '/public/x'),
  fc.array(queryPart, { maxLength: 3 }),
  fc.constantFrom('&', '&&', ';'),
).map(([path, parts, separator]) => {
  const url = new URL(`http://${HOST}:${PORT}${path}${parts.length ? `?${parts.join(separator)}` : ''}`);
  return url.pathname + url.search; // what a client sends for that URL
});

const headerMutation = fc.constantFrom('none', 'repeat-ext', 'swap-ext', 'drop-ext', 'odd-ts', 'second-header', 'extra-space', 'scheme-case');
const bewitMutation = fc.constantFrom('none', 'forged-before', 'forged-after', 'twice', 'in-path', 'percent', 'swap-ext', 'empty-after', 'alias');
const oddTs = fc.constantFrom('abc', '1e9', ' 1', '0x10', '-1', '1'.repeat(13), '');

interface Case { resource: string; authorization?: string | string[]; then?: Case }

function headerCase(signer: Signer, other: Signer, base: string, mutation: string, ts: string): Case {
  const { header } = hawk.client.header(`http://${HOST}:${PORT}${base}`, 'GET', { credentials: credentialsOf(signer), ...(signer.ext ? { ext: signer.ext } : {}) });
  const otherExt = other.ext ?? '';
  switch (mutation) {
    case 'repeat-ext': return { resource: base, authorization: header.replace(', mac=', `, ext="${otherExt}", mac=`) };
    case 'swap-ext': return { resource: base, authorization: signer.ext ? header.replace(`ext="${signer.ext}"`, `ext="${otherExt}"`) : header.replace(', mac=', `, ext="${otherExt}", mac=`) };
    case 'drop-ext': return { resource: base, authorization: header.replace(/, ext="[^"]*"/, '') };
    case 'odd-ts': return { resource: base, authorization: header.replace(/ts="\d+"/, `ts="${ts}"`) };
    case 'second-header': return { resource: base, authorization: [header, hawk.client.header(`http://${HOST}:${PORT}${base}`, 'GET', { credentials: credentialsOf(other), ...(other.ext ? { ext: other.ext } : {}) }).header] };
    case 'extra-space': return { resource: base, authorization: header.replace(', ', ',   ') };
    case 'scheme-case': return { resource: base, authorization: header.replace('Hawk ', 'hawk ') };
    default: return { resource: base, authorization: header };
  }
}

function bewitCase(signer: Signer, other: Signer, base: string, mutation: string): Case {
  const forged = forgedBewit(signer, other.ext);
  switch (mutation) {
    case 'forged-before': {
      const withForged = appendQuery(base, `bewit=${forged}`);
      return { resource: appendQuery(withForged, `bewit=${bewitFor(signer, withForged)}`) };
    }
    case 'forged-after': return { resource: appendQuery(appendQuery(base, `bewit=${bewitFor(signer, base)}`), `bewit=${forged}`) };
    case 'twice': {
      const bewit = bewitFor(signer, base);
      return { resource: appendQuery(appendQuery(base, `bewit=${bewit}`), `bewit=${bewit}`) };
    }
    case 'in-path': {
      const q = base.indexOf('?');
      const path = q < 0 ? base : base.slice(0, q);
      return { resource: `${path}&bewit=${forged}${q < 0 ? '' : base.slice(q)}${q < 0 ? '?' : '&'}bewit=${bewitFor(signer, `${path}&bewit=${forged}${q < 0 ? '' : base.slice(q)}`)}` };
    }
    case 'percent': return { resource: appendQuery(base, `bewit=${bewitFor(signer, base).replace(/^(.{3})(.)/, (_, head: string, c: string) => `${head}%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`) };
    case 'swap-ext': {
      const [id, exp, mac] = Buffer.from(bewitFor(signer, base), 'base64url').toString('latin1').split('\\');
      return { resource: appendQuery(base, `bewit=${Buffer.from(`${id}\\${exp}\\${mac}\\${other.ext ?? ''}`, 'latin1').toString('base64url')}`) };
    }
    case 'alias': {
      // two (id, ext) pairs that a separator-joined cache key would confuse: a first bewit (bad MAC)
      // resolves `id` with ext `e30=\n<ext>`, then `id\ne30=` comes with the real MAC and `<ext>`
      const [id, exp, mac, ext] = Buffer.from(bewitFor(signer, base), 'base64url').toString('latin1').split('\\') as [string, string, string, string];
      const encode = (fields: string[]) => Buffer.from(fields.join('\\'), 'latin1').toString('base64url');
      return { resource: appendQuery(base, `bewit=${encode([id, exp, 'AAAA', `e30=\n${ext}`])}`), then: { resource: appendQuery(base, `bewit=${encode([`${id}\ne30=`, exp, mac, ext])}`) } };
    }
    case 'empty-after': return { resource: appendQuery(appendQuery(base, `bewit=${bewitFor(signer, base)}`), 'bewit=') };
    default: return { resource: appendQuery(base, `bewit=${bewitFor(signer, base)}`) };
  }
}

const requestCase = fc.oneof(
  fc.tuple(fc.nat(signers.length - 1), fc.nat(signers.length - 1), resource, headerMutation, oddTs).map(([s, o, base, m, ts]) => ({ kind: `header/${m}`, ...headerCase(signers[s]!, signers[o]!, base, m, ts) })),
  fc.tuple(fc.nat(signers.length - 1), fc.nat(signers.length - 1), resource, bewitMutation).map(([s, o, base, m]) => ({ kind: `bewit/${m}`, ...bewitCase(signers[s]!, signers[o]!, base, m) })),
  resource.map((base) => ({ kind: 'none', resource: base })),
);

/** The property for a request (and the one that follows it); returns whether the gateway accepted the last. */
async function agrees(c: Case): Promise<boolean> {
  const accepted = await agreesOnOne(c);
  return c.then ? agreesOnOne(c.then) : accepted;
}

async function agreesOnOne(c: Case): Promise<boolean> {
  const request = { method: 'GET', resource: c.resource, host: HOST, port: PORT, authorization: c.authorization };
  let ours: AuthenticatedCaller;
  try {
    ours = await verifyRequest(request, directory);
  } catch {
    return false; // refusing is always allowed: the property bounds what is granted
  }
  const single = Array.isArray(c.authorization) ? undefined : c.authorization;
  const theirs: SignatureResult = await oracle({ ...request, authorization: single });
  if (ours.scheme === 'none') {
    if (theirs.status !== 'no-auth') throw new Error(`anonymous for us, ${theirs.status} for hawk: ${JSON.stringify(c)}`);
  } else {
    if (theirs.status !== 'auth-success') throw new Error(`accepted as ${ours.clientId}, refused by hawk (${theirs.status === 'auth-failed' ? theirs.message : theirs.status}): ${JSON.stringify(c)}`);
    if (theirs.verified.id !== ours.clientId || theirs.clientId !== ours.clientId) throw new Error(`accepted as ${ours.clientId}, hawk verified ${theirs.verified.id}: ${JSON.stringify(c)}`);
  }
  if (!scopeLib.satisfiesExpression(theirs.scopes, { AllOf: ours.scopes })) {
    throw new Error(`granted ${JSON.stringify(ours.scopes)} beyond the verified ext's ${JSON.stringify(theirs.scopes)}: ${JSON.stringify(c)}`);
  }
  return true;
}

t.test('the gateway accepts only what hawk accepts, as the same client, with no more scopes', async (t) => {
  const accepted = new Map<string, number>();
  const seen = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(requestCase, async (c) => {
      seen.set(c.kind, (seen.get(c.kind) ?? 0) + 1);
      if (await agrees(c)) accepted.set(c.kind, (accepted.get(c.kind) ?? 0) + 1);
    }),
    { numRuns: 1500 },
  );
  // the property is only as good as the accepted cases it saw: honest requests must pass
  for (const kind of ['header/none', 'bewit/none', 'none']) t.ok((accepted.get(kind) ?? 0) > 0, `honest ${kind} requests were accepted (${accepted.get(kind) ?? 0} of ${seen.get(kind) ?? 0})`);
  for (const kind of ['bewit/alias', 'bewit/forged-before', 'bewit/forged-after', 'bewit/twice', 'bewit/in-path', 'header/second-header', 'header/repeat-ext', 'header/odd-ts']) {
    t.equal(accepted.get(kind) ?? 0, 0, `${kind}: never accepted (${seen.get(kind) ?? 0} tried)`);
  }
});
