import t from 'tap';
import { findPeerSocket, type SocketTableReader, parseHexAddress, parseHexEndpoint, parseTcpRow, parseTcpTable } from '../../src/net/proc-net-tcp.js';

// Rows in the kernel's exact layout (header included), copied from a real /proc/net/tcp{,6}.
const tcp = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 646 1 0000000098ddaa17 100 0 0 10 0',
  '   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 7160 1 00000000fa201164 20 4 30 10 -1',
  '   2: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 7161 1 0000000028c16ab8 20 4 30 10 -1',
].join('\n');
const tcp6 = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:A000 01 00000000:00000000 00:00000000 00000000     0        0 8001 1 0000000000000000 20 4 30 10 -1',
  '   1: 00000000000000000000000001000000:A000 00000000000000000000000001000000:1F90 01 00000000:00000000 00:00000000 00000000  1001        0 8002 1 0000000000000000 20 4 30 10 -1',
  '   2: 0000000000000000FFFF00000100007F:B000 0000000000000000FFFF00000100007F:1F90 01 00000000:00000000 00:00000000 00000000  1002        0 8003 1 0000000000000000 20 4 30 10 -1',
].join('\n');

/** Reads the fixtures, recording which tables were asked for. */
function tables(fixtures: { tcp?: string; tcp6?: string }, reads: string[] = []): SocketTableReader {
  return (table) => { reads.push(table); return fixtures[table]; };
}

t.test('hex addresses: little-endian 32-bit words', async (t) => {
  t.equal(parseHexAddress('0100007F'), '127.0.0.1');
  t.equal(parseHexAddress('0200A8C0'), '192.168.0.2');
  t.equal(parseHexAddress('00000000000000000000000001000000'), '::1');
  t.equal(parseHexAddress('B80D0120000000000000000005000000'), '2001:db8::5');
  t.equal(parseHexAddress('0000000000000000FFFF00000100007F'), '::ffff:7f00:1', 'IPv4-mapped, as ipaddr.js writes it');
  t.throws(() => parseHexAddress('0100007'), /not a \/proc\/net\/tcp address/);
  t.throws(() => parseHexAddress('0100007G'), /not a \/proc\/net\/tcp address/);
});

t.test('endpoints: port is plain hex', async (t) => {
  t.same(parseHexEndpoint('0100007F:1F90'), { address: '127.0.0.1', port: 8080 });
  t.same(parseHexEndpoint('00000000000000000000000001000000:FFFF'), { address: '::1', port: 65535 });
  t.throws(() => parseHexEndpoint('0100007F'), /not a \/proc\/net\/tcp endpoint/);
  t.throws(() => parseHexEndpoint('0100007F:1F9'), /not a \/proc\/net\/tcp endpoint/);
});

t.test('rows: uid and inode columns; header and junk skipped', async (t) => {
  t.same(parseTcpRow(tcp.split('\n')[3]!), {
    local: { address: '127.0.0.1', port: 0xd431 }, remote: { address: '127.0.0.1', port: 8080 }, uid: 1000, inode: 7161,
  });
  t.equal(parseTcpRow(tcp.split('\n')[0]!), undefined, 'header');
  t.equal(parseTcpRow(''), undefined, 'blank');
  t.equal(parseTcpRow('   9: 0100007F:1F90 nonsense 01 0 0 0 x 0 1'), undefined, 'malformed');
  t.equal(parseTcpTable(tcp).length, 3);
  t.equal(parseTcpTable(tcp6).length, 3);
});

t.test('peer socket found by the reversed address pair in tcp', async (t) => {
  const reads: string[] = [];
  const peer = findPeerSocket(tables({ tcp, tcp6 }, reads), { local: { address: '127.0.0.1', port: 8080 }, remote: { address: '127.0.0.1', port: 0xd431 } });
  t.equal(peer?.uid, 1000, 'the client row, not our own server-side row (uid 0)');
  t.equal(peer?.inode, 7161);
  t.same(reads, ['tcp'], 'tcp6 not read once the peer is found');
});

t.test('peer socket found in tcp6 for an IPv6 connection', async (t) => {
  const reads: string[] = [];
  const peer = findPeerSocket(tables({ tcp, tcp6 }, reads), { local: { address: '::1', port: 8080 }, remote: { address: '::1', port: 0xa000 } });
  t.equal(peer?.uid, 1001);
  t.same(reads, ['tcp6']);
});

t.test('an IPv4 peer holding a dual-stack socket is found in tcp6 in mapped form', async (t) => {
  for (const [local, remote] of [['127.0.0.1', '127.0.0.1'], ['::ffff:127.0.0.1', '::ffff:127.0.0.1']]) {
    const peer = findPeerSocket(tables({ tcp, tcp6 }), { local: { address: local!, port: 8080 }, remote: { address: remote!, port: 0xb000 } });
    t.equal(peer?.uid, 1002, `seen from ${local}`);
  }
});

t.test('no row: undefined, also when a table is missing', async (t) => {
  const ends = { local: { address: '127.0.0.1', port: 8080 }, remote: { address: '127.0.0.1', port: 0xd432 } };
  t.equal(findPeerSocket(tables({ tcp, tcp6 }), ends), undefined, 'port differs');
  t.equal(findPeerSocket(tables({}), ends), undefined);
  t.equal(findPeerSocket(tables({ tcp }), { ...ends, remote: { address: '127.0.0.1', port: 0xb000 } }), undefined);
});
