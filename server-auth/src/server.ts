/** start()/stop() of the auth service; tests call start() with port 0. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPool } from '@drivrr/shared/db';
import { createLogger, type Logger } from '@drivrr/shared/logger';
import { describeListenError, packageVersion } from '@drivrr/shared/service';
import { createApp } from './app.js';
import type { AuthConfig } from './config.js';
import { startHousekeeping } from './usecases/housekeeping.js';

export interface AuthServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export const AUTH_VERSION = packageVersion(new URL('../package.json', import.meta.url));

export async function startAuthServer(config: AuthConfig, options: { logger?: Logger } = {}): Promise<AuthServer> {
  const logger = options.logger ?? createLogger('auth', config.logLevel);
  const pool = createPool(config.databaseUrl, { applicationName: 'drivrr-auth', ...config.db });
  const app = createApp({ config, pool, logger, version: AUTH_VERSION, startedAt: Date.now() });
  const server = http.createServer(app);
  server.keepAliveTimeout = 5_000;

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
    throw new Error(describeListenError(error, config.port, 'auth'), { cause: error });
  }

  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: config.host }, 'auth service listening');
  const stopHousekeeping = startHousekeeping(pool, logger);
  let stopped: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stop() {
      stopped ??= (async () => {
        await stopHousekeeping();
        // finish in-flight requests, refuse new ones, then end the pool
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 5_000).unref();
        });
        await pool.end().catch(() => {});
        logger.info('auth service stopped');
      })();
      return stopped;
    },
  };
}
