import t from 'tap';
import { parseServiceRoutes, resolveUpstream } from '../../../src/plugins/relengapi/service-routes.js';

t.test('routes parse from /prefix=base entries', async (t) => {
  t.same(parseServiceRoutes(['/tooltool=https://tooltool.example.net', '/mapper/=http://127.0.0.1:8000/api/'], 'relengapi.routes'), [
    { prefix: '/tooltool', origin: 'https://tooltool.example.net', basePath: '' },
    { prefix: '/mapper', origin: 'http://127.0.0.1:8000', basePath: '/api' },
  ]);
  for (const bad of ['tooltool=https://x', '/=https://x', '/x', '/x=', '/x=ftp://x', '/x=not a url', '/x=https://x/?q=1', '/a:b=https://x', '/a*=https://x', '/a//b=https://x', '/a b=https://x']) {
    t.throws(() => parseServiceRoutes([bad], 'relengapi.routes'), { name: 'ConfigError', message: /^relengapi\.routes: / }, bad);
  }
  t.throws(() => parseServiceRoutes(['/a=https://x', '/a/=https://y'], 'relengapi.routes'), { message: /given twice/ });
  t.throws(() => parseServiceRoutes([], 'relengapi.routes'), { message: /at least one route/ });
});

t.test('the prefix is stripped and the rest kept byte for byte', async (t) => {
  const routes = parseServiceRoutes(['/tooltool=https://tooltool.example.net', '/mapper=https://m.example.net/base', '/mapper/special=https://s.example.net'], 'r');
  const at = (url: string) => {
    const target = resolveUpstream(routes, url);
    return target && `${target.origin}${target.path}`;
  };
  t.equal(at('/tooltool/sha512/ab%2Fcd/../x?q=%2F&r'), 'https://tooltool.example.net/sha512/ab%2Fcd/../x?q=%2F&r');
  t.equal(at('/tooltool'), 'https://tooltool.example.net/');
  t.equal(at('/tooltool?x=1'), 'https://tooltool.example.net/?x=1');
  t.equal(at('/mapper/gecko-dev/rev/git/abc'), 'https://m.example.net/base/gecko-dev/rev/git/abc');
  t.equal(at('/mapper?x'), 'https://m.example.net/base?x');
  t.equal(at('/mapper/special/y'), 'https://s.example.net/y', 'longest prefix wins');
  t.equal(at('/tooltoolx/y'), undefined, 'prefixes match whole segments');
  t.equal(at('/treestatus/trees'), undefined);
  t.equal(at('/'), undefined);
});
