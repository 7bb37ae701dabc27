/**
 * start()/stop() of the realtime service; tests call start() with port 0.
 * One HTTP server carries `/api/health` and the WebSocket upgrade at `/ws`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPool, pingDatabase } from '@drivrr/shared/db';
import { createLogger, type Logger } from '@drivrr/shared/logger';
import type { HealthRealtime } from '@drivrr/shared/protocol';
import { describeListenError, packageVersion } from '@drivrr/shared/service';
import type { RealtimeConfig } from './config.js';

export interface RealtimeServer {
  port: number;
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

export const REALTIME_VERSION = packageVersion(new URL('../package.json', import.meta.url));

export async function startRealtimeServer(config: RealtimeConfig, options: { logger?: Logger } = {}): Promise<RealtimeServer> {
  const logger = options.logger ?? createLogger('realtime', config.logLevel);
  const pool = createPool(config.databaseUrl, { applicationName: 'drivrr-realtime' });
  const startedAt = Date.now();

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/api/health') {
      void pingDatabase(pool).then((db) => {
        const body: HealthRealtime = {
          status: db.ok ? 'ok' : 'degraded',
          service: 'realtime',
          version: REALTIME_VERSION,
          uptimeS: Math.round((Date.now() - startedAt) / 1000),
          connections: { drivers: 0, customers: 0 },
          db,
        };
        res.writeHead(db.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: `no route for ${req.method} ${path}` } }));
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await pool.end().catch(() => {});
    throw new Error(describeListenError(error, config.port, 'realtime'), { cause: error });
  }
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: config.host }, 'realtime service listening');

  let stopped: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 5_000).unref();
        });
        await pool.end().catch(() => {});
        logger.info('realtime service stopped');
      })();
      return stopped;
    },
  };
}
