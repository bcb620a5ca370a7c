/**
 * Opt-in HTTP endpoint serving `/metrics` in the Prometheus text format, and `/healthz`.
 * Bound to loopback unless told otherwise; every request passes the HttpGuard (Host allow-list,
 * optional bearer token on /metrics, security headers).
 */
import { createServer, type Server } from 'node:http';
import client from 'prom-client';
import { allowedHostsFromEnv, HttpGuard, httpTokenFromEnv } from '../http/http-guard.ts';

export interface MetricsServerOptions {
  /** Address to bind (default 127.0.0.1; 0.0.0.0 inside a container, with FMEAFLOW_HTTP_ALLOWED_HOSTS naming the service). */
  readonly host?: string;
  readonly allowedHosts?: readonly string[];
  readonly token?: string;
}

/** Starts the server on `port` (0 = any free port); resolves with the server, its port and its URL. */
export async function startMetricsServer(registry: client.Registry, port: number, opts: MetricsServerOptions = {}): Promise<{ server: Server; port: number; url: string; close: () => Promise<void> }> {
  const host = opts.host ?? '127.0.0.1';
  // Process figures (CPU, heap, event-loop lag, GC) belong beside ours; once per registry, which may be served again.
  if (registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) client.collectDefaultMetrics({ register: registry });
  const guard = new HttpGuard({ bindHost: host, allowedHosts: opts.allowedHosts ?? allowedHostsFromEnv(), token: opts.token ?? httpTokenFromEnv() });
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const verdict = guard.check(req, path === '/metrics');
    if (!verdict.ok) return guard.refuse(res, verdict);
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, guard.headers(registry.contentType)).end(text),
        // The message of a failed collect may name internals; the log has it, the client gets the status.
        () => res.writeHead(500, guard.headers('text/plain; charset=utf-8')).end('metrics collection failed\n'),
      );
      return;
    }
    res.writeHead(path === '/healthz' ? 200 : 404, guard.headers('text/plain; charset=utf-8'));
    res.end(path === '/healthz' ? 'ok' : 'see /metrics');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port: actual,
    url: `http://${shown}:${actual}/metrics`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
