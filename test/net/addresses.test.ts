// Addresses, ranges, the client behind proxies, reverse names and reversed host names.
import t from 'tap';
import { addressText, clientAddress, inRanges, parseAddress, parseRanges, reverseLookupName } from '../../src/net/addresses.js';
import { issueHostCredentials, reversedHostname } from '../../src/plugins/host-secrets/host-credentials.js';
import { issuer } from '../plugins/host-secrets/harness.js';

const ranges = (text: string | string[]) => parseRanges(text, 'test');
const client = (peer: string, xff: string | string[] | undefined, trusted: string) => {
  const found = clientAddress(peer, xff, trusted ? ranges(trusted) : []);
  return 'address' in found ? addressText(found.address) : found.problem;
};

t.test('addresses: strict forms only, IPv4-mapped IPv6 is IPv4', async (t) => {
  t.equal(addressText(parseAddress('::ffff:10.1.2.3')!), '10.1.2.3');
  t.equal(parseAddress('::ffff:10.1.2.3')!.kind(), 'ipv4');
  t.equal(addressText(parseAddress('0:0:0:0:0:FFFF:10.1.2.3')!), '10.1.2.3', 'any spelling of a mapped address');
  t.equal(addressText(parseAddress('::ffff:a01:203')!), '10.1.2.3', 'mapped, in hexadecimal');
  t.equal(parseAddress('::ffff:a01:203')!.kind(), 'ipv4');
  t.equal(addressText(parseAddress('2001:DB8:0:0::1')!), '2001:db8::1');
  t.equal(parseAddress('::1')!.kind(), 'ipv6');
  for (const loose of ['127.1', '0x7f.0.0.1', '010.0.0.1', 'localhost', '']) t.equal(parseAddress(loose), undefined, `${JSON.stringify(loose)} refused`);
});

t.test('ranges: commas or spaces, bare addresses are single hosts, families never mix', async (t) => {
  const list = ranges('10.0.0.0/8,  192.168.1.1 ::1\n2001:db8::/32');
  t.same(list.map(([a, p]) => `${addressText(a)}/${p}`), ['10.0.0.0/8', '192.168.1.1/32', '::1/128', '2001:db8::/32']);
  t.ok(inRanges(parseAddress('10.255.0.1')!, list));
  t.ok(inRanges(parseAddress('::ffff:10.0.0.1')!, list), 'a mapped address matches its IPv4 range');
  t.notOk(inRanges(parseAddress('192.168.1.2')!, list), '/32 is one address');
  t.notOk(inRanges(parseAddress('11.0.0.1')!, list));
  t.ok(inRanges(parseAddress('2001:db8:1::5')!, list));
  t.notOk(inRanges(parseAddress('::2')!, list));
  t.ok(inRanges(parseAddress('8.8.8.8')!, ranges('0.0.0.0/0')), '0.0.0.0/0 is every IPv4 address');
  t.notOk(inRanges(parseAddress('::2')!, ranges('0.0.0.0/0')), 'but no IPv6 one');
  t.same(ranges([' ', '']), [], 'blank entries are ignored');
});

t.test('client address: the peer unless it is a trusted proxy, then the rightmost untrusted hop', async (t) => {
  t.equal(client('::ffff:127.0.0.5', '10.9.9.9', ''), '127.0.0.5', 'no trusted proxies: the header is ignored');
  t.equal(client('127.0.0.5', '10.9.9.9', '10.0.0.0/8'), '127.0.0.5', 'an untrusted peer: the header is ignored');
  t.equal(client('10.0.0.1', '192.0.2.7', '10.0.0.0/8'), '192.0.2.7');
  t.equal(client('10.0.0.1', '198.51.100.1, 192.0.2.7, 10.0.0.2', '10.0.0.0/8'), '192.0.2.7', 'walks past trusted hops only');
  t.equal(client('10.0.0.1', ['198.51.100.1', '192.0.2.7'], '10.0.0.0/8'), '192.0.2.7', 'repeated headers join');
  t.equal(client('10.0.0.1', '10.0.0.3, 10.0.0.2', '10.0.0.0/8'), '10.0.0.3', 'every hop trusted: the leftmost');
  t.equal(client('10.0.0.1', undefined, '10.0.0.0/8'), '10.0.0.1', 'no header: the proxy itself');
  t.match(client('10.0.0.1', '192.0.2.7, bogus', '10.0.0.0/8'), /"bogus", not an IP address/);
  t.equal(client('::ffff:10.0.0.1', '::ffff:192.0.2.7', '10.0.0.0/8'), '192.0.2.7', 'mapped forms on both sides');
  t.match(clientAddress(undefined, undefined, []), { problem: /no peer address/ });
});

t.test('reverse look-up names', async (t) => {
  t.equal(reverseLookupName(parseAddress('192.0.2.1')!), '1.2.0.192.in-addr.arpa');
  t.equal(reverseLookupName(parseAddress('2001:db8::567:89ab')!), 'b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
});

t.test('host credentials: reversed name, base prefixes, lifetime from now', async (t) => {
  t.equal(reversedHostname('a.domain.name'), 'name.domain.a');
  const now = new Date('2026-01-01T00:00:00Z');
  const issued = issueHostCredentials('a.domain.name', { scopeBase: 'assume:project:releng:host:', clientIdBase: 'project/releng/host/', lifetimeMs: 3600_000, issuer }, now);
  t.equal(issued.clientId, 'project/releng/host/name.domain.a', 'as the original test expects');
  const cert = JSON.parse(issued.certificate);
  t.same(cert.scopes, ['assume:project:releng:host:name.domain.a']);
  t.equal(cert.start, now.getTime());
  t.equal(cert.expiry, now.getTime() + 3600_000);
  t.equal(issued.expires.getTime(), cert.expiry);
});
