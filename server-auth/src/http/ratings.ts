/** POST /api/rides/:id/rating: a party of a completed ride rates the other party, once. */
import { Router, type RequestHandler } from 'express';
import { RatingBody, type RatingView } from '@drivrr/shared/protocol';
import type { Rides } from '../usecases/rides.js';
import { rideIdParam, type CallerOf } from './rides-support.js';
import { methodNotAllowed, validate } from './validate.js';

export interface RatingsRouterDeps {
  rides: Rides;
  authenticate: RequestHandler;
  callerOf: CallerOf;
}

const parseRatingBody = validate(RatingBody, 'body');

export function ratingsRouter(deps: RatingsRouterDeps): Router {
  const router = Router();

  router.post('/api/rides/:id/rating', deps.authenticate, async (req, res) => {
    const view: RatingView = await deps.rides.rate(deps.callerOf(req), rideIdParam(req), parseRatingBody(req.body ?? {}));
    res.status(201).json(view);
  });
  router.all('/api/rides/:id/rating', methodNotAllowed(['POST']));

  return router;
}
