/** The one error middleware: every failure leaves as the contract's `{error:{code,message,details?}}`. */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, isAppError } from '@drivrr/shared';
import { databaseDownError } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `no route for ${req.method} ${req.path}`));
};

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const appError = toAppError(error);
    if (appError.status >= 500) logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    if (appError.retryAfterS !== undefined) res.setHeader('Retry-After', String(Math.ceil(appError.retryAfterS)));
    res.status(appError.status).json(appError.toBody());
  };
}

/** Maps anything thrown (body-parser errors, pg errors, bugs) to an AppError without leaking internals. */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const e = error as { type?: string; status?: number; message?: string } | null;
  if (e?.type === 'entity.parse.failed') return new AppError('invalid_json', 'the request body is not valid JSON');
  if (e?.type === 'entity.too.large') return new AppError('payload_too_large', 'the request body is too large');
  if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') return new AppError('validation_failed', 'unsupported body encoding');
  const databaseDown = databaseDownError(error);
  if (databaseDown) return databaseDown;
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new AppError('validation_failed', 'the request could not be read');
  return new AppError('internal_error', 'something went wrong on our side');
}
