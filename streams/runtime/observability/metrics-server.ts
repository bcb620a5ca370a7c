/**
 * Opt-in HTTP endpoint serving `/metrics` in the Prometheus text format.
 */
import { createServer, type Server } from 'node:http';
import type client from 'prom-client';

/** Starts the server on `port` (0 = any free port); resolves with the server and its port. */
export async function startMetricsServer(registry: client.Registry, port: number, host = '0.0.0.0'): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics' || req.url?.startsWith('/metrics?')) {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500);
          res.end(err.message);
        },
      );
      return;
    }
    res.writeHead(req.url === '/healthz' ? 200 : 404);
    res.end(req.url === '/healthz' ? 'ok' : 'see /metrics');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  return {
    server,
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
