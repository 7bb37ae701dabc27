/** Mounts the rides, ratings and payments routers (thin: parse, call the use case, answer) behind the service's requireAuth. */
import { Router, type RequestHandler } from 'express';
import type { Pool } from '@drivrr/shared/db';
import type { AuthConfig } from '../config.js';
import { createPayments } from '../usecases/payments.js';
import { createRides } from '../usecases/rides.js';
import { createShareLinks } from '../usecases/share-links.js';
import { paymentsRouter } from './payments.js';
import { ratingsRouter } from './ratings.js';
import { ridesRouter } from './rides.js';
import { shareRouter } from './share.js';
import './rides-openapi.js';
import { callerOfRequest, type CallerOf } from './rides-support.js';

export interface RidesPaymentsDeps {
  pool: Pool;
  config: Pick<AuthConfig, 'currency' | 'realtimePublicUrl'>;
  /** requireAuth: verifies the access token and sets the caller. */
  authenticate: RequestHandler;
  callerOf?: CallerOf;
}

export function ridesPaymentsRouter(deps: RidesPaymentsDeps): Router {
  const { pool, authenticate } = deps;
  const callerOf = deps.callerOf ?? callerOfRequest;
  const router = Router();
  const rides = createRides(pool);
  router.use(ridesRouter({ rides, authenticate, callerOf }));
  router.use(shareRouter({ shareLinks: createShareLinks(pool, deps.config.realtimePublicUrl), authenticate, callerOf }));
  router.use(ratingsRouter({ rides, authenticate, callerOf }));
  router.use(paymentsRouter({ payments: createPayments(pool, deps.config.currency), authenticate, callerOf }));
  return router;
}
