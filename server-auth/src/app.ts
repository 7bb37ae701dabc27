/** Builds the Express app: middleware, routers, the error middleware. No listening here. */
import express, { type Router } from 'express';
import type { Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import type { AuthConfig } from './config.js';
import { accountsRouter } from './http/accounts.js';
import { requireAuth } from './http/authenticate.js';
import { errorMiddleware, notFound } from './http/errors.js';
import { healthRouter } from './http/health.js';
import { opsCors } from './http/ops-cors.js';
import { docsRouter } from './http/openapi.js';
import { apiRateLimits } from './http/rate-limits.js';
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
  // X-Forwarded-For is believed only from these proxies (TRUST_PROXY, default loopback): the per-IP limits key on req.ip
  app.set('trust proxy', deps.config.trustProxy);
  // ops map: lets the page at :8081/ops (same host, other port) sign operators in; see http/ops-cors.ts
  app.use(opsCors());
  app.use(express.json({ limit: '16kb', strict: true }));

  /** Verifies the bearer token with the public key and loads the caller (`callerOf(res)`). */
  const authenticate = requireAuth(deps.pool, deps.config.jwt.publicKeyPem, apiRateLimits(deps.pool, deps.config.api));

  // one line per feature router; each registers its OpenAPI paths in http/openapi.ts
  const routers: Router[] = [
    healthRouter(deps),
    accountsRouter({ pool: deps.pool, config: deps.config, logger: deps.logger, requireAuth: authenticate }),
    ridesPaymentsRouter({ pool: deps.pool, config: deps.config, authenticate }),
    docsRouter(deps.version),
  ];
  for (const router of routers) app.use(router);

  app.use(notFound);
  app.use(errorMiddleware(deps.logger));
  return app;
}
