/** Small HTTP helpers shared by the rides, ratings and payments routers. */
import type { Request } from 'express';
import { Uuid } from '@drivrr/shared/protocol';
import type { Caller } from '../domain/rides.js';
import { callerOf } from './authenticate.js';
import { validate } from './validate.js';

/** Resolves the verified caller of a request (throws AppError unauthenticated when none). */
export type CallerOf = (req: Request) => Caller;

/** The caller that requireAuth verified (identity only ever from the token). */
export const callerOfRequest: CallerOf = (req) => {
  if (req.res === undefined) throw new Error('request without a response');
  const { userId, role } = callerOf(req.res);
  return { userId, role };
};

const parseRideId = validate(Uuid, 'path');

/** A ride id from the path: a malformed id is a 400 validation_failed, not a 404. */
export function rideIdParam(req: Request): string {
  return parseRideId(req.params.id);
}
