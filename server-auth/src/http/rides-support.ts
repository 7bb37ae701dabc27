/**
 * Small HTTP helpers of the rides, ratings and payments routers: who the caller is, and turning a
 * zod failure into the contract's validation_failed.
 */
import type { Request, RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError, bearerFromHeader, verifyAccessToken } from '@drivrr/shared';
import { Uuid } from '@drivrr/shared/protocol';
import type { Caller } from '../domain/rides.js';

/** Resolves the verified caller of a request (throws AppError unauthenticated when none). */
export type CallerOf = (req: Request) => Caller;

/**
 * Verifies the bearer access token with the public key and puts the caller in `res.locals.caller`.
 * Identity comes only from the verified token.
 */
export function bearerCaller(publicKeyPem: string): RequestHandler {
  return (req, res, next) => {
    const token = bearerFromHeader(req.header('authorization'));
    if (token === undefined) {
      next(new AppError('unauthenticated', 'an access token is required (Authorization: Bearer ...)'));
      return;
    }
    try {
      const claims = verifyAccessToken(token, publicKeyPem);
      res.locals.caller = { userId: claims.sub, role: claims.role } satisfies Caller;
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** Reads the caller set by `bearerCaller` (or any middleware that sets `res.locals.caller`). */
export const callerFromLocals: CallerOf = (req) => {
  const caller = (req.res?.locals as { caller?: Caller } | undefined)?.caller;
  if (caller === undefined) throw new AppError('unauthenticated', 'an access token is required');
  return caller;
};

/** Parses `value` with `schema` or throws validation_failed listing the failing fields. */
export function parseOrFail<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new AppError('validation_failed', `the request ${where} is not valid`, {
    details: {
      issues: result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    },
  });
}

/** A ride id from the path: a malformed id is a 400, not a 404. */
export function rideIdParam(req: Request): string {
  return parseOrFail(Uuid, req.params.id, 'path');
}
