/**
 * Rides over REST: the caller's history, one ride's detail and its chat (parties only), and rating
 * the other party of a completed ride. Identity always comes from the token.
 */
import { AppError } from '@drivrr/shared';
import { withTransaction, type Pool } from '@drivrr/shared/db';
import type { RatingBody, RatingView, RideDetailView, RideMessagesView, RidePage, RideStatus } from '@drivrr/shared/protocol';
import { averageRating } from '@drivrr/store/rides-read';
import { insertRating, lockRideForRating } from '../db/ratings.js';
import { getRideDetail, getRideParties, listRideMessages, listRidesForUser } from '../db/rides.js';
import { decideRating } from '../domain/ratings.js';
import { partySideOf, type Caller } from '../domain/rides.js';

export function createRides(pool: Pool) {
  return {
    async history(caller: Caller, query: { status?: RideStatus | undefined; limit: number; cursor?: string | undefined }): Promise<RidePage> {
      if (caller.role !== 'customer' && caller.role !== 'driver') throw new AppError('forbidden', 'ride history is for customers and drivers');
      return listRidesForUser(pool, { userId: caller.userId, role: caller.role, status: query.status, limit: query.limit, cursor: query.cursor });
    },

    async detail(caller: Caller, rideId: string): Promise<RideDetailView> {
      const parties = await getRideParties(pool, rideId);
      // a stranger gets the same 404 as for a ride that does not exist: existence is not leaked
      const side = parties ? partySideOf(parties, caller) : undefined;
      if (side === undefined) throw new AppError('not_found', 'no such ride');
      // the assigned driver sees only their own bids and events, never the competitors' offers
      const detail = await getRideDetail(pool, rideId, side === 'driver' ? { viewerDriverId: caller.userId } : {});
      if (!detail) throw new AppError('not_found', 'no such ride');
      return detail;
    },

    /** The ride's chat, oldest first: its two parties only (anyone else: the same 404 as no ride). */
    async messages(caller: Caller, rideId: string): Promise<RideMessagesView> {
      const parties = await getRideParties(pool, rideId);
      if (!parties || partySideOf(parties, caller) === undefined) throw new AppError('not_found', 'no such ride');
      return { items: await listRideMessages(pool, rideId) };
    },

    async rate(caller: Caller, rideId: string, body: RatingBody): Promise<RatingView> {
      const stored = await withTransaction(pool, async (client) => {
        const ride = await lockRideForRating(client, rideId);
        if (!ride) throw new AppError('not_found', 'no such ride');
        const decision = decideRating(ride, caller);
        const comment = body.comment === undefined || body.comment === '' ? null : body.comment;
        return insertRating(client, { rideId, raterId: caller.userId, rateeId: decision.rateeId, stars: body.stars, comment });
      });
      return {
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
    },
  };
}

export type Rides = ReturnType<typeof createRides>;
