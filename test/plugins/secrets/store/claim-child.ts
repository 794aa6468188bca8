/**
 * A separate process claiming bootstrap tokens, for the cross-process race in suite-bootstrap.ts.
 * Protocol on stdin/stdout, one JSON line each: reads {url, options, keys, tokens}; opens the
 * store and writes "ready"; waits for a "go" line (so all claimants start together); claims every
 * token at once; writes the tokens it got.
 */
import { createInterface } from 'node:readline';
import { keyRingFrom, openSecretStore } from '../../../../src/plugins/secrets/store/index.js';

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const nextLine = async () => (await lines.next()).value as string;

const { url, options, keys, tokens } = JSON.parse(await nextLine()) as {
  url: string; options: Record<string, unknown>; keys: unknown; tokens: string[];
};
const store = await openSecretStore(url, keyRingFrom(keys, 'stdin'), options);
process.stdout.write('"ready"\n');
await nextLine();
const claims = await Promise.all(tokens.map((token) => store.claimBootstrap(token)));
await store.close();
process.stdout.write(`${JSON.stringify(tokens.filter((_, i) => claims[i] !== undefined))}\n`);
process.stdin.destroy();
