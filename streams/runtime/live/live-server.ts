/**
 * The opt-in live web view: one static page plus a JSON snapshot endpoint it polls. Bound to
 * loopback by default; no external assets, so it works offline. Every request passes the HttpGuard:
 * Host allow-list (DNS rebinding), CSP that admits only the page's own inline script, `nosniff`, and
 * a bearer token on /api/state when one is configured (the page takes it from its URL fragment,
 * `#token=…`, which the browser never sends to a server).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allowedHostsFromEnv, HttpGuard, httpTokenFromEnv, pagePolicy } from '../http/http-guard.ts';
import type { LiveState } from './live-state.ts';

const PAGE = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'live-page.html'), 'utf8');

export interface LiveServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export interface LiveServerOptions {
  readonly allowedHosts?: readonly string[];
  readonly token?: string;
}

/** Serves the live view of `state` on `port` (0 = any free port). */
export async function startLiveServer(state: LiveState, port: number, host = '127.0.0.1', opts: LiveServerOptions = {}): Promise<LiveServer> {
  const guard = new HttpGuard({ bindHost: host, allowedHosts: opts.allowedHosts ?? allowedHostsFromEnv(), token: opts.token ?? httpTokenFromEnv(), contentSecurityPolicy: pagePolicy(PAGE) });
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '').split('?')[0];
    const verdict = guard.check(req, url === '/api/state');
    if (!verdict.ok) return guard.refuse(res, verdict);
    if (url === '/' || url === '/index.html') {
      res.writeHead(200, guard.headers('text/html; charset=utf-8', true)).end(PAGE);
    } else if (url === '/api/state') {
      res.writeHead(200, guard.headers('application/json')).end(state.snapshotJson());
    } else {
      res.writeHead(404, guard.headers('text/plain; charset=utf-8')).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as { port: number }).port;
  // An open browser tab polls over keep-alive connections; without dropping them close() would never resolve.
  const close = (): Promise<void> => new Promise((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
  const shown = host.includes(':') ? `[${host}]` : host;
  return { port: actual, url: `http://${shown}:${actual}/`, close };
}
