/** Mounts the rides, ratings and payments routers with the service's authentication. */
import { Router, type RequestHandler } from 'express';
import type { Pool } from '@drivrr/shared/db';
import type { AuthConfig } from '../config.js';
import { paymentsRouter } from './payments.js';
import { ratingsRouter } from './ratings.js';
import { ridesRouter } from './rides.js';
import { bearerCaller, callerFromLocals, type CallerOf } from './rides-support.js';

export interface RidesPaymentsDeps {
  pool: Pool;
  config: Pick<AuthConfig, 'currency' | 'jwt'>;
  /** Token verification; defaults to a bearer check with the service's public key. */
  authenticate?: RequestHandler;
  callerOf?: CallerOf;
}

export function ridesPaymentsRouter(deps: RidesPaymentsDeps): Router {
  const authenticate = deps.authenticate ?? bearerCaller(deps.config.jwt.publicKeyPem);
  const callerOf = deps.callerOf ?? callerFromLocals;
  const router = Router();
  router.use(ridesRouter({ pool: deps.pool, authenticate, callerOf }));
  router.use(ratingsRouter({ pool: deps.pool, authenticate, callerOf }));
  router.use(paymentsRouter({ pool: deps.pool, currency: deps.config.currency, authenticate, callerOf }));
  return router;
}
