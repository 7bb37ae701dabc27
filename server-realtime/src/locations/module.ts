/**
 * POST /api/locations (contract 1.1): fixes from driver apps whose socket the phone suspended.
 * Thin: authenticate, validate the batch (shared schema), let the domain sort the fixes out,
 * read once whether the driver is on a ride, and hand the newest good fix to presence, where it
 * counts like a location.update. HTTP fixes keep an on-ride driver visible but never make an
 * offline driver offerable (presence: moveInBackground).
 */
import { createPublicKey } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '@drivrr/shared';
import type { Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import { LocationBatchBody, type LocationBatchAccepted } from '@drivrr/shared/protocol';
import { driverVehicleType } from '../db/follow-rules.js';
import { isDriverBusy } from '../db/rides.js';
import { fixedAt, sortOutFixes } from '../domain/background-fixes.js';
import { callerOf, methodNotAllowed, pathOf, readJsonBody, sendFailure, sendJson } from '../http/json.js';
import type { Clock } from '../rides/clock.js';
import type { BackgroundLocations, RealtimeModule } from '../ws/contracts.js';
import { TokenBucket } from '../ws/rate-limit.js';

export const LOCATIONS_PATH = '/api/locations';
/** 100 fixes with every field take about 12 KiB; room for whitespace, refused above. */
const MAX_BODY_BYTES = 64 * 1024;
/**
 * Batches a driver may send: a phone in the background sends one every few seconds (the simulators one a fix);
 * a burst covers a backlog flushed after a tunnel. Above it: 429 rate_limited with Retry-After.
 */
export const LOCATION_BATCHES_PER_S = 2;
export const LOCATION_BATCH_BURST = 20;
/** Buckets of drivers not heard from for this long are dropped (they would be full again anyway). */
const BUCKET_IDLE_MS = (LOCATION_BATCH_BURST / LOCATION_BATCHES_PER_S) * 1000;

export interface LocationsModuleDeps {
  pool: Pool;
  config: { jwtPublicKeyPem: string };
  logger: Logger;
  backgroundLocations: BackgroundLocations;
  /** The server's now (the rides clock; tests pass a virtual one). */
  clock: Clock;
}

export function createLocationsModule(deps: LocationsModuleDeps): RealtimeModule {
  const logger = deps.logger.child({ module: 'locations' });
  const publicKey = createPublicKey(deps.config.jwtPublicKeyPem);
  const buckets = new Map<string, { bucket: TokenBucket; lastAt: number }>();
  let lastSweepAt = deps.clock.now();

  /** Takes one batch from the driver's bucket, or throws rate_limited. */
  function admit(driverId: string, now: number): void {
    if (now - lastSweepAt > BUCKET_IDLE_MS) {
      for (const [id, entry] of buckets) if (now - entry.lastAt > BUCKET_IDLE_MS) buckets.delete(id);
      lastSweepAt = now;
    }
    let entry = buckets.get(driverId);
    if (!entry) {
      entry = { bucket: new TokenBucket(LOCATION_BATCHES_PER_S, LOCATION_BATCH_BURST, now), lastAt: now };
      buckets.set(driverId, entry);
    }
    entry.lastAt = now;
    if (!entry.bucket.take(now)) {
      const retryAfterS = Math.max(1, Math.ceil(entry.bucket.retryAfterS()));
      throw new AppError('rate_limited', 'too many location batches; send fewer, larger ones', { retryAfterS, details: { retryAfterS } });
    }
  }

  async function receive(req: IncomingMessage): Promise<LocationBatchAccepted> {
    if (req.method !== 'POST') throw methodNotAllowed(req, ['POST']);
    const caller = callerOf(req, publicKey);
    if (caller.role !== 'driver') throw new AppError('forbidden', 'only drivers send locations');
    admit(caller.userId, deps.clock.now());
    const body = await readJsonBody(req, LocationBatchBody, MAX_BODY_BYTES);
    const now = deps.clock.now();
    const { accepted, skipped, newest } = sortOutFixes(body.fixes, deps.backgroundLocations.newestFixAt(caller.userId), now);
    if (!newest) return { accepted, skipped, applied: false };
    const onRide = await isDriverBusy(deps.pool, caller.userId);
    // A driver on a ride whose socket is gone may come back into presence this way: with their type.
    const vehicleType = onRide && deps.backgroundLocations.newestFixAt(caller.userId) === undefined ? await driverVehicleType(deps.pool, caller.userId) : undefined;
    const applied = deps.backgroundLocations.apply(
      caller.userId,
      { location: { lat: newest.lat, lng: newest.lng }, heading: newest.heading ?? null, fixedAt: fixedAt(newest, now) },
      onRide,
      vehicleType,
    );
    return { accepted, skipped, applied };
  }

  function handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (pathOf(req) !== LOCATIONS_PATH) return false;
    receive(req).then(
      (answer) => sendJson(res, 202, answer),
      (error: unknown) => sendFailure(res, error, logger),
    );
    return true;
  }

  return { name: 'locations', httpHandler: handle };
}
