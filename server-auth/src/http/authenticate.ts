/**
 * requireAuth: verifies the bearer access token with the public key alone (shared `authenticate`)
 * and loads the caller's account; a token of a deleted account is refused.
 */
import { createPublicKey } from 'node:crypto';
import type { ErrorCode } from '@drivrr/shared';
import type { RequestHandler, Response } from 'express';
import { AppError, authenticate, bearerFromHeader, type Caller } from '@drivrr/shared';
import type { Queryable } from '@drivrr/shared/db';
import { isSessionRevoked } from '../db/refresh-tokens.js';
import { findUserById } from '../db/users.js';
import type { ApiRateLimits } from './rate-limits.js';

/** What any endpoint behind requireAuth may answer besides its own errors (for the OpenAPI document). */
export const AUTHENTICATED_ERRORS = [
  'unauthenticated', 'invalid_token', 'token_expired', 'session_revoked', 'rate_limited', 'db_unavailable',
] as const satisfies readonly ErrorCode[];

/**
 * Also refuses a token whose login has ended (logout, revoked family: `session_revoked`), and
 * counts the request against the API's per-user and per-IP limits when `limits` is given.
 */
export function requireAuth(db: Queryable, publicKeyPem: string, limits?: ApiRateLimits): RequestHandler {
  const publicKey = createPublicKey(publicKeyPem);
  return async (req, res, next) => {
    const header = req.header('authorization');
    const token = bearerFromHeader(header);
    if (header !== undefined && token === undefined) throw new AppError('invalid_token', 'the Authorization header must be "Bearer <access token>"');
    const caller = authenticate(token, publicKey);
    const [user, revoked] = await Promise.all([findUserById(db, caller.userId), isSessionRevoked(db, caller.sessionId)]);
    if (user === undefined || user.role !== caller.role) throw new AppError('invalid_token', 'the account of this token no longer exists');
    if (revoked) throw new AppError('session_revoked', 'this login has ended (logged out or revoked); log in again');
    await limits?.check(caller.userId, req.ip);
    res.locals.caller = caller;
    next();
  };
}

/** The caller that requireAuth verified for this request. */
export function callerOf(res: Response): Caller {
  const caller = (res.locals as { caller?: Caller }).caller;
  if (caller === undefined) throw new AppError('unauthenticated', 'an access token is required');
  return caller;
}
