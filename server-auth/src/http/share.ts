/** POST /api/rides/:id/share: the ride's customer creates a link that shows the trip live, no login. */
import { Router, type RequestHandler } from 'express';
import { AppError } from '@drivrr/shared';
import type { Pool } from '@drivrr/shared/db';
import type { ShareLinkCreated } from '@drivrr/shared/protocol';
import { hashShareToken, insertShareLink, newShareToken } from '@drivrr/store/share-links';
import { getShareableRide } from '../db/rides.js';
import { decideShareLink } from '../domain/share-links.js';
import { rideIdParam, type CallerOf } from './rides-support.js';
import { methodNotAllowed } from './validate.js';

export interface ShareRouterDeps {
  pool: Pool;
  authenticate: RequestHandler;
  callerOf: CallerOf;
  /** REALTIME_PUBLIC_URL without a trailing slash: where the track page is served. */
  realtimePublicUrl: string;
}

export function shareRouter(deps: ShareRouterDeps): Router {
  const router = Router();

  router.post('/api/rides/:id/share', deps.authenticate, async (req, res) => {
    const caller = deps.callerOf(req);
    const rideId = rideIdParam(req);
    const ride = await getShareableRide(deps.pool, rideId);
    if (!ride) throw new AppError('not_found', 'no such ride');
    const { expiresAt } = decideShareLink(ride, caller, new Date());
    const token = newShareToken();
    await insertShareLink(deps.pool, { rideId, createdBy: caller.userId, tokenHash: hashShareToken(token), expiresAt });
    const created: ShareLinkCreated = { url: `${deps.realtimePublicUrl}/track/${token}`, token, expiresAt: expiresAt.toISOString() };
    res.status(201).json(created);
  });
  router.all('/api/rides/:id/share', methodNotAllowed(['POST']));

  return router;
}
