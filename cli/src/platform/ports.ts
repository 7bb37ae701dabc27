/** Port probing: is a port free, and a free one for the embedded database. */
import net from 'node:net';

/** True when nothing listens on `port` at `host` (we can bind it ourselves). */
export function isPortFree(port: number, host = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A free TCP port in [min, max] on 127.0.0.1, tried in random order. The embedded PostgreSQL
 * stays below 32768 (load tests exhaust the ephemeral range above it) and never takes 5432,
 * where a system PostgreSQL usually listens.
 */
export async function findFreePort(min = 15_000, max = 32_767, avoid: number[] = [5432]): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = min + Math.floor(Math.random() * (max - min + 1));
    if (avoid.includes(port)) continue;
    if ((await isPortFree(port, '127.0.0.1')) && (await isPortFree(port, '0.0.0.0'))) return port;
  }
  throw new Error(`no free port between ${min} and ${max}`);
}
