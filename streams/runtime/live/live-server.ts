/**
 * The opt-in live web view: one static page plus a JSON snapshot endpoint it polls. Bound to
 * loopback by default; no external assets, so it works offline.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LiveState } from './live-state.ts';

const PAGE = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'live-page.html'), 'utf8');

export interface LiveServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the live view of `state` on `port` (0 = any free port). */
export async function startLiveServer(state: LiveState, port: number, host = '127.0.0.1'): Promise<LiveServer> {
  const server = http.createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (req.url === '/api/state') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(state.snapshot()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
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
  return { port: actual, url: `http://${host}:${actual}/`, close };
}
