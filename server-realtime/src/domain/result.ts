/**
 * The shape every pure domain function answers with: a new state and the effects the caller must
 * carry out (persist, announce), or a DomainError the caller turns into an AppError. No I/O here.
 */
import { AppError, type ErrorCode } from '@drivrr/shared';

export interface DomainError {
  ok: false;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export interface DomainOk<S, E> {
  ok: true;
  state: S;
  effects: E[];
}

export type DomainResult<S, E> = DomainOk<S, E> | DomainError;

export function refuse(code: ErrorCode, message: string, details?: Record<string, unknown>): DomainError {
  return details === undefined ? { ok: false, code, message } : { ok: false, code, message, details };
}

export function accept<S, E>(state: S, effects: E[] = []): DomainOk<S, E> {
  return { ok: true, state, effects };
}

/** For the orchestration layer: unwrap or throw the refusal as the AppError the transport sends. */
export function orThrow<S, E>(result: DomainResult<S, E>): DomainOk<S, E> {
  if (!result.ok) throw toAppError(result);
  return result;
}

export function toAppError(error: DomainError): AppError {
  return new AppError(error.code, error.message, error.details === undefined ? {} : { details: error.details });
}
