/**
 * Small JSON helpers for the realtime service's REST routes (it runs a bare node:http server, no
 * framework): read a bounded JSON body, answer JSON, answer an AppError in the contract's shape,
 * and take the caller from `Authorization: Bearer`.
 */
import type { KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { AppError, authenticate, bearerFromHeader, isAppError, type Caller } from '@drivrr/shared';
import { databaseDownError } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
}

/** Answers any failure in the contract's error shape: AppErrors as they are, a lost database as 503, the rest as 500 (logged). */
export function sendFailure(res: ServerResponse, error: unknown, logger: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  let appError = isAppError(error) ? error : databaseDownError(error);
  if (!appError) {
    logger.error({ err: error }, 'a REST route failed');
    appError = new AppError('internal_error', 'the request failed');
  }
  const headers: Record<string, string> = appError.retryAfterS !== undefined ? { 'retry-after': String(appError.retryAfterS) } : {};
  if (appError.code === 'method_not_allowed' && typeof appError.details?.allow === 'string') headers.allow = appError.details.allow;
  sendJson(res, appError.status, appError.toBody(), headers);
}

/** The caller of a REST request, from `Authorization: Bearer` (verified with the public key only). */
export function callerOf(req: IncomingMessage, publicKey: KeyObject): Caller {
  return authenticate(bearerFromHeader(req.headers.authorization), publicKey);
}

/** Reads the body (at most `maxBytes`), parses it as JSON and validates it against `schema`. */
export async function readJsonBody<S extends z.ZodType>(req: IncomingMessage, schema: S, maxBytes: number): Promise<z.infer<S>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new AppError('payload_too_large', `the body may be at most ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new AppError('payload_too_large', `the body may be at most ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new AppError('invalid_json', 'the body is not valid JSON');
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new AppError('validation_failed', 'the request body is not valid', {
      details: { issues: result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })) },
    });
  }
  return result.data;
}

/** The path of a request without its query string. */
export function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] ?? '/';
}

export function methodNotAllowed(req: IncomingMessage, allowed: string[]): AppError {
  return new AppError('method_not_allowed', `${req.method ?? 'this method'} is not allowed here; use ${allowed.join(' or ')}`, { details: { allow: allowed.join(', ') } });
}
