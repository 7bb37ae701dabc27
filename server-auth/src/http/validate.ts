/** The one way requests are validated: a zod schema in, a typed value out, or 400 validation_failed. */
import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError } from '@drivrr/shared';

/**
 * `const parseBody = validate(OtpSendBody); const body = parseBody(req.body);`
 * Failures answer 400 validation_failed with `details.issues: [{path, message}]`.
 */
export function validate<S extends z.ZodType>(schema: S, where: 'body' | 'query' | 'path' = 'body'): (value: unknown) => z.infer<S> {
  return (value) => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    throw new AppError('validation_failed', `the request ${where} is not valid`, {
      details: { issues: result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })) },
    });
  };
}

/** 405 for a known path asked with another method (with the `Allow` header). */
export function methodNotAllowed(allowed: string[]): RequestHandler {
  return (req, res, next) => {
    res.setHeader('Allow', allowed.join(', '));
    next(new AppError('method_not_allowed', `${req.method} is not allowed here; use ${allowed.join(' or ')}`));
  };
}
