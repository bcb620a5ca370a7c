/**
 * The worker's and producer's HTTP endpoints as an operator and an attacker on the same machine see
 * them: loopback by default, a Host allow-list against DNS rebinding, security headers on every
 * answer, an optional bearer token, nothing but GET/HEAD.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import client from 'prom-client';
import { startMetricsServer } from '../../../streams/runtime/observability/metrics-server.ts';
import { startLiveServer } from '../../../streams/runtime/live/live-server.ts';
import { LiveState } from '../../../streams/runtime/live/live-state.ts';
import { hostOf, httpTokenFromEnv } from '../../../streams/runtime/http/http-guard.ts';

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string }

/** A raw request, so the Host header and method are exactly what an attacker would send. */
function request(port: number, path: string, headers: Record<string, string>, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false, setHost: 'host' in headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('/metrics binds loopback by default, serves process metrics, and refuses foreign Host names and other methods', async (t) => {
  const registry = new client.Registry();
  new client.Counter({ name: 'fmeaflow_test_total', help: 'test', registers: [registry] }).inc();
  const server = await startMetricsServer(registry, 0, { token: undefined, allowedHosts: [] });
  t.after(() => server.close());
  const addr = server.server.address() as { address: string };
  assert.equal(addr.address, '127.0.0.1', 'bound to loopback unless told otherwise');
  assert.equal(server.url, `http://127.0.0.1:${server.port}/metrics`);

  const ok = await request(server.port, '/metrics', { host: `localhost:${server.port}` });
  assert.equal(ok.status, 200);
  assert.match(ok.body, /fmeaflow_test_total 1/);
  assert.match(ok.body, /process_cpu_user_seconds_total/, 'default process metrics are collected');
  assert.equal(ok.headers['x-content-type-options'], 'nosniff');

  // A rebinding page's own name in Host; an IP literal (Prometheus' service discovery) is fine.
  assert.equal((await request(server.port, '/metrics', { host: `attacker.example:${server.port}` })).status, 421);
  assert.equal((await request(server.port, '/metrics', { host: `10.1.2.3:${server.port}` })).status, 200);
  assert.equal((await request(server.port, '/metrics', {})).status, 400, 'no Host at all (Node refuses HTTP/1.1 without one)');
  assert.equal((await request(server.port, '/metrics', { host: 'localhost' }, 'POST')).status, 405);
  assert.equal((await request(server.port, `/metrics?${'x'.repeat(5000)}`, { host: 'localhost' })).status, 414);
});

test('/metrics with a token: scrapes need it, health checks do not, a wrong one is refused without echo', async (t) => {
  const token = 'scrape-token-0123456789abcdef';
  const server = await startMetricsServer(new client.Registry(), 0, { token, allowedHosts: ['engine'] });
  t.after(() => server.close());
  assert.equal((await request(server.port, '/metrics', { host: 'engine:9464' })).status, 401);
  const wrong = await request(server.port, '/metrics', { host: 'engine:9464', authorization: 'Bearer not-the-token-at-all!!' });
  assert.equal(wrong.status, 401);
  assert.ok(!wrong.body.includes('not-the-token'), 'the given token is not echoed');
  assert.equal((await request(server.port, '/metrics', { host: 'engine:9464', authorization: `Bearer ${token}` })).status, 200);
  assert.equal((await request(server.port, '/healthz', { host: 'engine:9464' })).status, 200);
});

test('the live view page carries a CSP that admits only its own script, and /api/state honours the token', async (t) => {
  const token = 'live-token-0123456789abcdef';
  const server = await startLiveServer(new LiveState(), 0, '127.0.0.1', { token, allowedHosts: [] });
  t.after(() => server.close());
  const port = server.port;
  const page = await request(port, '/', { host: `127.0.0.1:${port}` });
  assert.equal(page.status, 200);
  const csp = String(page.headers['content-security-policy']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'/, 'scripts only by hash');
  assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal((await request(port, '/api/state', { host: `127.0.0.1:${port}` })).status, 401);
  const state = await request(port, '/api/state', { host: `127.0.0.1:${port}`, authorization: `Bearer ${token}` });
  assert.equal(state.status, 200);
  assert.ok(Array.isArray((JSON.parse(state.body) as { actions: unknown[] }).actions));
  assert.equal((await request(port, '/api/state', { host: `rebind.attacker.example:${port}`, authorization: `Bearer ${token}` })).status, 421);
});

test('Host parsing and token settings reject garbage with one clear line', () => {
  assert.equal(hostOf('LocalHost:8080'), 'localhost');
  assert.equal(hostOf('[::1]:8080'), '[::1]');
  for (const bad of [undefined, '', 'a b', 'host:port:x', 'x'.repeat(300), 'évil.example', 'host/path']) assert.equal(hostOf(bad), undefined, String(bad));
  assert.throws(() => httpTokenFromEnv({ FMEAFLOW_HTTP_TOKEN: 'short' }), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && !e.message.includes('short'));
  assert.throws(() => httpTokenFromEnv({ FMEAFLOW_HTTP_TOKEN_FILE: '/nonexistent/token' }), /FMEAFLOW_HTTP_TOKEN_FILE: cannot read/);
  assert.equal(httpTokenFromEnv({}), undefined);
});
