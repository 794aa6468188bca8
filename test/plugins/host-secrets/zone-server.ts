// A real DNS server on loopback UDP for the tests: answers PTR, A and AAAA from a table, with
// TTL 0 so that no resolver cache hides a change between tests, NXDOMAIN for unknown names.
import { createSocket } from 'node:dgram';
import dns2 from 'dns2';

const { Packet } = dns2;

/** Records by query name, e.g. `{ PTR: { '5.0.0.127.in-addr.arpa': ['a.example.com'] }, A: {...} }`. */
export interface Zone {
  PTR?: Record<string, string[]>;
  A?: Record<string, string[]>;
  AAAA?: Record<string, string[]>;
}

export interface ZoneServer {
  /** `127.0.0.1:<port>`, as --dns-servers takes it. */
  server: string;
  /** Queries answered so far, as `TYPE name`. */
  queries: string[];
  close(): Promise<void>;
}

/** The PTR query name of an address, spelled out here independently of the code under test. */
export function ptrName(ip: string): string {
  if (ip === '::1') return `1.${'0.'.repeat(31)}ip6.arpa`;
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

const TYPE_NAMES = new Map<number, keyof Zone>([[Packet.TYPE.PTR, 'PTR'], [Packet.TYPE.A, 'A'], [Packet.TYPE.AAAA, 'AAAA']]);

export async function startZoneServer(zone: Zone): Promise<ZoneServer> {
  const queries: string[] = [];
  const server = dns2.createUDPServer((request, send) => {
    const response = Packet.createResponseFromRequest(request);
    const question = request.questions[0]!;
    const type = TYPE_NAMES.get(question.type);
    const name = question.name.toLowerCase();
    queries.push(`${type ?? question.type} ${name}`);
    const known = Object.values(zone).some((records) => name in records);
    if (!known) response.header.rcode = 3; // NXDOMAIN
    for (const value of (type && zone[type]?.[name]) || []) {
      const data = type === 'PTR' ? { domain: value } : { address: value };
      response.answers.push({ name: question.name, type: question.type, class: Packet.CLASS.IN, ttl: 0, ...data } as never);
    }
    void send(response);
  });
  await server.listen(0, '127.0.0.1');
  return {
    server: `127.0.0.1:${server.address().port}`,
    queries,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A DNS server that receives and never answers: look-ups can only time out. */
export async function startSilentServer(): Promise<{ server: string; close(): Promise<void> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { server: `127.0.0.1:${socket.address().port}`, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}
