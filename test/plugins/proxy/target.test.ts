// Where requests go: the three URL forms, taskcluster-lib-urls rules, escaped bytes kept.
import t from 'tap';
import { TargetResolver } from '../../../src/plugins/proxy/target.js';

t.test('root URL, shortcut and hostname forms', async (t) => {
  const resolver = new TargetResolver('https://tc.example.com/');
  const cases: Array<[string, string]> = [
    ['/api/queue/v1/task/abc?x=1', 'https://tc.example.com/api/queue/v1/task/abc?x=1'],
    ['/api/queue/v1//leading', 'https://tc.example.com/api/queue/v1/leading'],
    ['/api/queue/v1/', 'https://tc.example.com/api/queue/v1/'],
    ['/queue/v1/task/abc?x=1', 'https://tc.example.com/api/queue/v1/task/abc?x=1'],
    ['/queue/v1', 'https://tc.example.com/api/queue/v1/'],
    ['/queue/v1?q', 'https://tc.example.com/api/queue/v1/?q'],
    // TestNonCanonicalUrls
    ['/queue/v1/double//slash/encode1%2F/encode2%252F/encode3%25252F', 'https://tc.example.com/api/queue/v1/double//slash/encode1%2F/encode2%252F/encode3%25252F'],
    ['/api/queue/v1/a%2Fb/../c?name=a%2Fb&x=%20', 'https://tc.example.com/api/queue/v1/a%2Fb/../c?name=a%2Fb&x=%20'],
    ['/storage.example.com/bucket/a%2Fb?sig=1', 'https://storage.example.com/bucket/a%2Fb?sig=1'],
    ['/Storage.Example.COM', 'https://storage.example.com/'],
    ['/storage.example.com//x', 'https://storage.example.com//x'],
  ];
  for (const [path, url] of cases) t.equal(resolver.resolve(path).url, url, path);
  const target = resolver.resolve('/queue/v1/x');
  t.same({ origin: target.origin, host: target.host, port: target.port, path: target.path }, { origin: 'https://tc.example.com', host: 'tc.example.com', port: 443, path: '/api/queue/v1/x' });
  const hosted = resolver.resolve('/10.0.0.1/x');
  t.same({ origin: hosted.origin, host: hosted.host, port: hosted.port }, { origin: 'https://10.0.0.1', host: '10.0.0.1', port: 443 });
});

t.test('root URLs with ports, paths and the legacy taskcluster.net form', async (t) => {
  const local = new TargetResolver('http://127.0.0.1:8080//').resolve('/api/auth/v1/clients');
  t.same([local.origin, local.host, local.port, local.path], ['http://127.0.0.1:8080', '127.0.0.1', 8080, '/api/auth/v1/clients']);
  t.equal(new TargetResolver('https://example.com/tc/').resolve('/auth/v1/x').url, 'https://example.com/tc/api/auth/v1/x');
  const legacy = new TargetResolver('https://taskcluster.net/');
  t.equal(legacy.resolve('/api/queue/v1/task/abc?x').url, 'https://queue.taskcluster.net/v1/task/abc?x');
  t.equal(legacy.resolve('/queue/v1//task/abc').url, 'https://queue.taskcluster.net/v1/task/abc');
  t.throws(() => legacy.resolve('/api/evil.com%23/v1/x'), { code: 'ResourceNotFound' }, 'a legacy service segment cannot pick another host');
  t.throws(() => new TargetResolver('ftp://x'), /http/);
  t.throws(() => new TargetResolver('not a url'));
});

t.test('invalid services and the allow-list', async (t) => {
  const resolver = new TargetResolver('https://tc.example.com', ['storage.example.com', '*.blob.example.net']);
  for (const path of [`/${'a.'.repeat(7000)}!/x`, `/${'a'.repeat(254)}/v1/x`, '/', '/-x/v1/y', '/a_b/v1/y', '/a..b/x', '/%2E%2E/v1/x', '/queue', '/queue/', '/api/queue/v1', '/api/']) {
    t.throws(() => resolver.resolve(path), { code: 'ResourceNotFound' }, `${path}: 404`);
  }
  t.equal(resolver.resolve('/storage.example.com/x').host, 'storage.example.com');
  t.equal(resolver.resolve('/a.blob.example.net/x').host, 'a.blob.example.net');
  for (const path of ['/evil.example.com/x', '/blob.example.net/x', '/storage.example.com.evil.org/x']) {
    t.throws(() => resolver.resolve(path), { code: 'ForbiddenRequest' }, `${path}: not allowed`);
  }
  t.equal(resolver.resolve('/queue/v1/x').host, 'tc.example.com', 'the allow-list does not restrict the root URL');
});
