/** Builds the Express app: middleware, routers, the error middleware. No listening here. */
import express from 'express';
import type { Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import type { AuthConfig } from './config.js';
import { errorMiddleware, notFound } from './http/errors.js';
import { healthRouter } from './http/health.js';
import { ridesPaymentsRouter } from './http/rides-mount.js';

export interface AppDeps {
  config: AuthConfig;
  pool: Pool;
  logger: Logger;
  version: string;
  startedAt: number;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(express.json({ limit: '16kb', strict: true }));
  app.use(healthRouter(deps));
  app.use(ridesPaymentsRouter({ pool: deps.pool, config: deps.config }));
  app.use(notFound);
  app.use(errorMiddleware(deps.logger));
  return app;
}
