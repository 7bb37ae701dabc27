/**
 * The closed set of error codes both services may answer with, and the HTTP status each maps to.
 * Apps switch on `code`, so codes are never renamed; add new ones here (and to docs/api.md).
 */
export const ERROR_STATUS = {
  // 400: the request itself is malformed
  validation_failed: 400,
  invalid_json: 400,
  invalid_phone: 400,
  unknown_type: 400,
  frame_too_large: 400,
  missing_idempotency_key: 400,
  // 401: who are you?
  unauthenticated: 401,
  invalid_token: 401,
  token_expired: 401,
  invalid_code: 401,
  code_expired: 401,
  invalid_refresh_token: 401,
  token_reused: 401,
  /** The login of this token was ended (logout, or its refresh-token family was revoked). */
  session_revoked: 401,
  // 403, 404, 405, 409
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  already_rated: 409,
  active_ride_exists: 409,
  already_bid: 409,
  duplicate_request: 409,
  // 410: the thing existed but is gone for good
  link_expired: 410,
  // 413: body too big
  payload_too_large: 413,
  // 422: understood, but a domain rule says no
  invalid_transition: 422,
  ride_not_completed: 422,
  ride_not_open: 422,
  fare_below_minimum: 422,
  fare_above_maximum: 422,
  insufficient_funds: 422,
  bid_expired: 422,
  bid_not_found: 422,
  driver_offline: 422,
  driver_busy: 422,
  vehicle_required: 422,
  /** bid.place from a driver who holds no current offer of the ride (never offered, or withdrawn or expired). */
  not_offered: 422,
  /** ride.cancel with reason customer_no_show before the driver has waited WAIT_FREE_S at the pickup. */
  no_show_too_early: 422,
  /** OTP: the phone's country is not in OTP_ALLOWED_COUNTRIES. */
  country_not_allowed: 422,
  // 429
  rate_limited: 429,
  too_many_attempts: 429,
  // 5xx
  internal_error: 500,
  db_unavailable: 503,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value);
}

/** The one error type every layer throws; the transports turn it into the contract's error shape. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  /** Seconds, for 429 answers (`Retry-After`). */
  readonly retryAfterS: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; retryAfterS?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.retryAfterS = options.retryAfterS;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
