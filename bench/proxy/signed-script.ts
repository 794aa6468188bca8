// wrk cannot compute HMACs: a Lua script replaying headers signed beforehand, each used once
// (a nonce cache, shared by replicas or not, refuses a second use).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HawkSigner } from '../../src/core/hawk.js';
import type { Credentials } from '../../src/core/credentials.js';

/** `count` distinct signed headers for GET `path` at `host`:`port`, written to `<dir>/<name>.lua`. */
export function signedGetScript(dir: string, name: string, credentials: Credentials, target: { host: string; port: number; path: string }, count: number): string {
  const signer = new HawkSigner(credentials);
  const headers: string[] = [];
  for (let i = 0; i < count; i++) headers.push(`[[${signer.header({ method: 'GET', host: target.host, port: target.port, resource: target.path })}]]`);
  const file = join(dir, `${name}.lua`);
  writeFileSync(file, [
    `local headers = {\n${headers.join(',\n')}\n}`,
    'local i = 0',
    'request = function()',
    '  i = i + 1',
    // past the table a header would be replayed: better no Authorization (a 403, counted as an error)
    `  return wrk.format("GET", "${target.path}", { ["Authorization"] = headers[i] or "" })`,
    'end',
  ].join('\n'));
  return file;
}
