/** GET /api/rides (history), GET /api/rides/:id (detail with bids and timeline) and GET /api/rides/:id/messages (chat): parties only. */
import { Router, type RequestHandler } from 'express';
import { RidesQuery, type RideDetailView, type RideMessagesView, type RidePage } from '@drivrr/shared/protocol';
import type { Rides } from '../usecases/rides.js';
import { rideIdParam, type CallerOf } from './rides-support.js';
import { methodNotAllowed, validate } from './validate.js';

export interface RidesRouterDeps {
  rides: Rides;
  /** Verifies the access token (runs before every route here). */
  authenticate: RequestHandler;
  callerOf: CallerOf;
}

const parseRidesQuery = validate(RidesQuery, 'query');

export function ridesRouter(deps: RidesRouterDeps): Router {
  const router = Router();

  router.get('/api/rides', deps.authenticate, async (req, res) => {
    const page: RidePage = await deps.rides.history(deps.callerOf(req), parseRidesQuery(req.query));
    res.json(page);
  });
  router.all('/api/rides', methodNotAllowed(['GET']));

  router.get('/api/rides/:id', deps.authenticate, async (req, res) => {
    const detail: RideDetailView = await deps.rides.detail(deps.callerOf(req), rideIdParam(req));
    res.json(detail);
  });
  router.all('/api/rides/:id', methodNotAllowed(['GET']));

  router.get('/api/rides/:id/messages', deps.authenticate, async (req, res) => {
    const messages: RideMessagesView = await deps.rides.messages(deps.callerOf(req), rideIdParam(req));
    res.json(messages);
  });
  router.all('/api/rides/:id/messages', methodNotAllowed(['GET']));

  return router;
}
