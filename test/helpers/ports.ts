/** Loopback ports for tests that start their own server (a private broker or registry) or need an address where nothing listens. */
import { createServer } from 'node:net';

/**
 * A port the OS just handed out and released, so nothing listens on it. A random pick could land on a port in the
 * ephemeral range that an outgoing connection holds at that moment (a registry failed to start that way).
 */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
