/**
 * Many GETs with an Authorization header each, eight at a time on kept-alive connections, and the
 * heap measured around them: what a gateway keeps per request, for the attacks that send one
 * distinct header each (test/security/*-material.test.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import http from 'node:http';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap in use once garbage is collected (three times: what a first pass frees can free more). */
export function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

export interface HeaderFlood {
  /** One GET with this Authorization header. */
  send(authorization: string): Promise<{ status: number; body: string }>;
  /** `count` GETs, header `i` made by `authorization(i)`, eight at a time; each answer to `check`; the statuses counted. */
  flood(count: number, authorization: (i: number) => string, check: (status: number, body: string) => void): Promise<Array<[number, number]>>;
  close(): void;
}

export function headerFlood(url: string): HeaderFlood {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const send = (authorization: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    http.get(url, { agent, headers: { authorization } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject);
  });
  return {
    send,
    async flood(count, authorization, check) {
      const statuses = new Map<number, number>();
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < count) {
          const { status, body } = await send(authorization(next++));
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          check(status, body);
        }
      }));
      return [...statuses];
    },
    close: () => agent.destroy(),
  };
}
