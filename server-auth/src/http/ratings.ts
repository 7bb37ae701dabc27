/** POST /api/rides/:id/rating: a party of a completed ride rates the other party, once. */
import { Router, type RequestHandler } from 'express';
import { AppError } from '@drivrr/shared';
import { withTransaction, type Pool } from '@drivrr/shared/db';
import { averageRating } from '@drivrr/store/rides-read';
import { RatingBody, type RatingView } from '@drivrr/shared/protocol';
import { insertRating, lockRideForRating } from '../db/ratings.js';
import { decideRating } from '../domain/ratings.js';
import { rideIdParam, type CallerOf } from './rides-support.js';
import { methodNotAllowed, validate } from './validate.js';

export interface RatingsRouterDeps {
  pool: Pool;
  authenticate: RequestHandler;
  callerOf: CallerOf;
}

const parseRatingBody = validate(RatingBody, 'body');

export function ratingsRouter(deps: RatingsRouterDeps): Router {
  const router = Router();

  router.post('/api/rides/:id/rating', deps.authenticate, async (req, res) => {
    const caller = deps.callerOf(req);
    const rideId = rideIdParam(req);
    const body = parseRatingBody(req.body ?? {});
    const stored = await withTransaction(deps.pool, async (client) => {
      const ride = await lockRideForRating(client, rideId);
      if (!ride) throw new AppError('not_found', 'no such ride');
      const decision = decideRating(ride, caller);
      const comment = body.comment === undefined || body.comment === '' ? null : body.comment;
      return insertRating(client, { rideId, raterId: caller.userId, rateeId: decision.rateeId, stars: body.stars, comment });
    });
    const view: RatingView = {
      id: stored.id,
      rideId: stored.rideId,
      stars: stored.stars,
      comment: stored.comment,
      createdAt: stored.createdAt,
      ratee: {
        id: stored.ratee.id,
        name: stored.ratee.name,
        rating: averageRating(stored.ratee.ratingSum, stored.ratee.ratingCount),
        ratingCount: stored.ratee.ratingCount,
      },
    };
    res.status(201).json(view);
  });
  router.all('/api/rides/:id/rating', methodNotAllowed(['POST']));

  return router;
}
