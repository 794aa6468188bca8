/**
 * A separate process claiming bootstrap tokens, for the cross-process race in suite-bootstrap.ts.
 * Reads {url, options, keys, tokens} as JSON on stdin; claims every token at once; prints the
 * tokens it got, as JSON.
 */
import { text } from 'node:stream/consumers';
import { keyRingFrom, openSecretStore } from '../../../../src/plugins/secrets/store/index.js';

const { url, options, keys, tokens } = JSON.parse(await text(process.stdin)) as {
  url: string; options: Record<string, unknown>; keys: unknown; tokens: string[];
};
const store = await openSecretStore(url, keyRingFrom(keys, 'stdin'), options);
const claims = await Promise.all(tokens.map((token) => store.claimBootstrap(token)));
await store.close();
process.stdout.write(JSON.stringify(tokens.filter((_, i) => claims[i] !== undefined)));
