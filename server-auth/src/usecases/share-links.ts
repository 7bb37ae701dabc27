/**
 * Sharing a trip: the ride's customer creates a link that shows the trip live, with no login.
 * Only a hash of the token is stored; the token itself is returned once, inside the link.
 */
import { AppError } from '@drivrr/shared';
import type { Pool } from '@drivrr/shared/db';
import type { ShareLinkCreated } from '@drivrr/shared/protocol';
import { hashShareToken, insertShareLink, newShareToken } from '@drivrr/store/share-links';
import { getShareableRide } from '../db/rides.js';
import type { Caller } from '../domain/rides.js';
import { decideShareLink } from '../domain/share-links.js';

/** @param realtimePublicUrl REALTIME_PUBLIC_URL without a trailing slash: where the track page is served. */
export function createShareLinks(pool: Pool, realtimePublicUrl: string) {
  return {
    async create(caller: Caller, rideId: string, now: Date = new Date()): Promise<ShareLinkCreated> {
      const ride = await getShareableRide(pool, rideId);
      if (!ride) throw new AppError('not_found', 'no such ride');
      const { expiresAt } = decideShareLink(ride, caller, now);
      const token = newShareToken();
      await insertShareLink(pool, { rideId, createdBy: caller.userId, tokenHash: hashShareToken(token), expiresAt });
      return { url: `${realtimePublicUrl}/track/${token}`, token, expiresAt: expiresAt.toISOString() };
    },
  };
}

export type ShareLinks = ReturnType<typeof createShareLinks>;
