// The original's connectionverifier scenarios, on fixture socket tables.
import t from 'tap';
import { ConnectionVerifier, connectionVerifierFor } from '../../src/net/connection-verifier.js';
import { ConfigError } from '../../src/config/settings.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

/** A /proc/net/tcp row in the kernel's layout. */
function row(local: string, remote: string, uid: number, inode = 9000): string {
  return `   0: ${local} ${remote} 01 00000000:00000000 00:00000000 00000000 ${String(uid).padStart(5)}        0 ${inode} 1 0000000000000000 20 4 30 10 -1`;
}

const SERVER = '0100007F:1F90'; // 127.0.0.1:8080
const ALICE = '0100007F:C350'; // 127.0.0.1:50000, uid 1000
const BOB = '0100007F:C351'; // 127.0.0.1:50001, uid 1001
const ROOT = '0100007F:C352'; // 127.0.0.1:50002, uid 0
const CLOSED = '0100007F:C353'; // 127.0.0.1:50003, time-wait row: uid 0, inode 0
const BRIDGE_FOREIGN = '020011AC:C354'; // 172.17.0.2:50004, visible, uid 1001
const serverSide = (peer: string) => row(SERVER, peer, 0);
const tcp = [
  HEADER,
  row(SERVER, '00000000:0000', 0),
  serverSide(ALICE), row(ALICE, SERVER, 1000),
  serverSide(BOB), row(BOB, SERVER, 1001),
  serverSide(ROOT), row(ROOT, SERVER, 0),
  serverSide(CLOSED), row(CLOSED, SERVER, 0, 0),
  serverSide(BRIDGE_FOREIGN), row(BRIDGE_FOREIGN, SERVER, 1001),
].join('\n');
// alice again over IPv6 (::1 port 50010) and over a dual-stack socket (IPv4-mapped, port 50011).
const tcp6 = [
  HEADER,
  row('00000000000000000000000001000000:C35A', '00000000000000000000000001000000:1F90', 1000),
  row('0000000000000000FFFF00000100007F:C35B', '0000000000000000FFFF00000100007F:1F90', 1000),
].join('\n');
const passwd = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n';

function verifier(allowedUser: string, allowedNetwork?: string) {
  const files: Record<string, string> = { '/fixture/tcp': tcp, '/fixture/tcp6': tcp6, '/fixture/passwd': passwd };
  return new ConnectionVerifier({
    allowedUser, allowedNetwork, passwdPath: '/fixture/passwd',
    tablePaths: { tcp: '/fixture/tcp', tcp6: '/fixture/tcp6' },
    readFile: (path) => files[path],
  });
}
const from = (remoteAddress: string, remotePort: number, localAddress = '127.0.0.1') => ({ localAddress, localPort: 8080, remoteAddress, remotePort });

t.test('peer uid found through tcp and tcp6 by hex pairs', async (t) => {
  const v = verifier('alice');
  t.equal(v.allowedUid, 1000, 'name resolved through passwd');
  t.match(v.verify(from('127.0.0.1', 50000)), { accept: true, peerUid: 1000 }, 'tcp');
  t.match(v.verify(from('::1', 50010, '::1')), { accept: true, peerUid: 1000 }, 'tcp6');
  t.match(v.verify(from('127.0.0.1', 50011)), { accept: true, peerUid: 1000 }, 'IPv4 peer on a dual-stack socket, tcp6 mapped');
  t.match(v.verify(from('::ffff:127.0.0.1', 50000, '::ffff:127.0.0.1')), { accept: true, peerUid: 1000 }, 'our side dual-stack');
});

t.test('foreign user refused', async (t) => {
  const verdict = verifier('alice').verify(from('127.0.0.1', 50001));
  t.match(verdict, { accept: false, peerUid: 1001 });
  t.match(verdict.reason, /uid 1001, not the allowed uid 1000/);
});

t.test('two users isolated', async (t) => {
  const alice = verifier('alice');
  const bob = verifier('1001');
  t.equal(bob.allowedUid, 1001, 'numeric uid taken as is');
  t.equal(alice.verify(from('127.0.0.1', 50000)).accept, true);
  t.equal(alice.verify(from('127.0.0.1', 50001)).accept, false);
  t.equal(bob.verify(from('127.0.0.1', 50001)).accept, true);
  t.equal(bob.verify(from('127.0.0.1', 50000)).accept, false);
});

t.test('root is always served; a socket no process holds is not root', async (t) => {
  t.match(verifier('alice').verify(from('127.0.0.1', 50002)), { accept: true, peerUid: 0 });
  const closed = verifier('alice').verify(from('127.0.0.1', 50003));
  t.equal(closed.accept, false, 'time-wait/orphan rows show uid 0 but prove nothing');
  t.match(closed.reason, /held by no process/);
});

t.test('peer not found: refused without allowedNetwork', async (t) => {
  const verdict = verifier('alice').verify(from('172.17.0.9', 40000));
  t.match(verdict, { accept: false, reason: /not found/ });
});

t.test('allowed network admits only when the peer is not found and its IP is inside the CIDR', async (t) => {
  const v = verifier('alice', '172.17.0.0/16');
  t.match(v.verify(from('172.17.0.9', 40000)), { accept: true, reason: /not visible here/ }, 'bridge peer inside the CIDR');
  t.match(v.verify(from('::ffff:172.17.0.9', 40000, '::ffff:127.0.0.1')), { accept: true }, 'the same, seen on a dual-stack listener');
  t.match(v.verify(from('10.0.0.9', 40000)), { accept: false, reason: /outside 172\.17\.0\.0\/16/ }, 'outside the CIDR');
  t.match(v.verify(from('127.0.0.1', 50000)), { accept: true, peerUid: 1000 }, 'visible allowed user still served');
  const v6 = verifier('alice', '::ffff:172.17.0.0/112');
  t.equal(v6.verify(from('172.17.0.9', 40000)).accept, true, 'IPv4 peer against an IPv6-mapped range');
});

t.test('allowed network never masks a uid mismatch', async (t) => {
  const verdict = verifier('alice', '172.17.0.0/16').verify(from('172.17.0.2', 50004));
  t.match(verdict, { accept: false, peerUid: 1001 }, 'found inside the CIDR with the wrong uid');
  t.equal(verifier('alice', '127.0.0.0/8').verify(from('127.0.0.1', 50001)).accept, false, 'loopback inside the CIDR, wrong uid');
});

t.test('a socket already closed is refused', async (t) => {
  t.match(verifier('alice').verify({ localAddress: undefined, localPort: undefined, remoteAddress: undefined, remotePort: undefined }), { accept: false });
});

t.test('configuration errors are refused at construction', async (t) => {
  t.throws(() => verifier('alice', '0.0.0.0/0'), new ConfigError('setting allowedNetwork (--allowed-network / GATEWAY_ALLOWED_NETWORK): "0.0.0.0/0" has a 0-length prefix, which would admit every address; name the container network'));
  t.throws(() => verifier('alice', '::/0'), /0-length prefix/);
  t.throws(() => verifier('alice', '172.17.0.0'), /not a CIDR/);
  t.throws(() => verifier('carol'), /^setting allowedUser \(--allowed-user \/ GATEWAY_ALLOWED_USER\): no user "carol" in /);
  t.throws(() => new ConnectionVerifier({ allowedUser: '0', readFile: () => undefined }), /socket table \/proc\/net\/tcp/);
  t.throws(() => connectionVerifierFor({ allowedNetwork: '172.17.0.0/16' }), new ConfigError('setting allowedNetwork (--allowed-network / GATEWAY_ALLOWED_NETWORK) requires allowedUser (--allowed-user / GATEWAY_ALLOWED_USER): the peers found in this namespace are checked by user'));
  t.equal(connectionVerifierFor({}), undefined, 'nothing set: no verification');
  t.equal(connectionVerifierFor({ allowedUser: '', allowedNetwork: '' }), undefined, 'empty settings count as unset');
  t.equal(connectionVerifierFor({ allowedUser: 'root' })?.allowedUid, 0, 'the real passwd and /proc by default');
});
