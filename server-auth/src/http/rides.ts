/** GET /api/rides (history) and GET /api/rides/:id (detail with bids and timeline): parties only. */
import { Router, type RequestHandler } from 'express';
import { AppError } from '@drivrr/shared';
import type { Pool } from '@drivrr/shared/db';
import { RidesQuery, type RideDetailView, type RidePage } from '@drivrr/shared/protocol';
import { getRideDetail, getRideParties, listRidesForUser } from '../db/rides.js';
import { partySideOf } from '../domain/rides.js';
import { rideIdParam, type CallerOf } from './rides-support.js';
import { methodNotAllowed, validate } from './validate.js';

export interface RidesRouterDeps {
  pool: Pool;
  /** Verifies the access token (runs before every route here). */
  authenticate: RequestHandler;
  callerOf: CallerOf;
}

const parseRidesQuery = validate(RidesQuery, 'query');

export function ridesRouter(deps: RidesRouterDeps): Router {
  const router = Router();

  router.get('/api/rides', deps.authenticate, async (req, res) => {
    const caller = deps.callerOf(req);
    if (caller.role !== 'customer' && caller.role !== 'driver') throw new AppError('forbidden', 'ride history is for customers and drivers');
    const query = parseRidesQuery(req.query);
    const page: RidePage = await listRidesForUser(deps.pool, {
      userId: caller.userId,
      role: caller.role,
      status: query.status,
      limit: query.limit,
      cursor: query.cursor,
    });
    res.json(page);
  });
  router.all('/api/rides', methodNotAllowed(['GET']));

  router.get('/api/rides/:id', deps.authenticate, async (req, res) => {
    const caller = deps.callerOf(req);
    const rideId = rideIdParam(req);
    const parties = await getRideParties(deps.pool, rideId);
    // a stranger gets the same 404 as for a ride that does not exist: existence is not leaked
    const side = parties ? partySideOf(parties, caller) : undefined;
    if (side === undefined) throw new AppError('not_found', 'no such ride');
    // the assigned driver sees only their own bids and events, never the competitors' offers
    const detail: RideDetailView | undefined = await getRideDetail(deps.pool, rideId, side === 'driver' ? { viewerDriverId: caller.userId } : {});
    if (!detail) throw new AppError('not_found', 'no such ride');
    res.json(detail);
  });
  router.all('/api/rides/:id', methodNotAllowed(['GET']));

  return router;
}
