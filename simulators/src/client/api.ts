/**
 * The auth/REST service as the apps call it: OTP login with a test phone, token refresh, profile,
 * vehicle, wallet, rides and ratings. Responses are checked against the shared schemas.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  ErrorBodySchema,
  OtpVerifyResponse,
  RideDetailView,
  TokenPair,
  TransactionView,
  UserView,
  VehicleView,
  WalletView,
  type AppRole,
  type RatingBody,
  type VehicleBody,
} from '@drivrr/shared/protocol';

/** An error answer of the REST service, in the contract's shape. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterS: number | undefined;
  constructor(method: string, path: string, status: number, code: string, message: string, details?: Record<string, unknown>, retryAfterS?: number) {
    super(`${method} ${path} -> ${status} ${code}: ${message}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterS = retryAfterS;
  }
}

/** The service answered something the contract does not allow (a protocol error). */
export class ApiContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiContractError';
  }
}

export interface ApiResponse {
  status: number;
  body: unknown;
  headers: Headers;
}

export interface CallOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  /** Retries on 429 (honouring Retry-After) this many times. */
  retries429?: number;
}

export class AuthApi {
  readonly baseUrl: string;
  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** Any call; returns the status and parsed body without judging it. */
  async raw(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    for (let attempt = 0; ; attempt += 1) {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
      const text = await response.text();
      let body: unknown = undefined;
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          throw new ApiContractError(`${method} ${path} answered ${response.status} with a body that is not JSON: ${text.slice(0, 120)}`);
        }
      }
      if (response.status === 429 && attempt < (options.retries429 ?? 0)) {
        const waitS = Number(response.headers.get('retry-after') ?? '1');
        await new Promise((resolve) => setTimeout(resolve, Math.min(30, Number.isFinite(waitS) ? waitS : 1) * 1000));
        continue;
      }
      return { status: response.status, body, headers: response.headers };
    }
  }

  /** A call that must succeed with one of `okStatuses`; errors become ApiError. */
  async call<S extends z.ZodType>(method: string, path: string, schema: S, options: CallOptions & { okStatuses?: number[] } = {}): Promise<z.infer<S>> {
    const response = await this.raw(method, path, options);
    const ok = options.okStatuses ?? [200, 201, 202, 204];
    if (!ok.includes(response.status)) throw toApiError(method, path, response);
    const parsed = schema.safeParse(response.body);
    if (!parsed.success) {
      throw new ApiContractError(`${method} ${path} answered ${response.status} with a body that does not match the contract: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
    }
    return parsed.data;
  }

  sendOtp(phone: string, role: AppRole): Promise<unknown> {
    return this.call('POST', '/api/auth/otp/send', z.unknown(), { body: { phone, role }, retries429: 3 });
  }

  verifyOtp(phone: string, code: string, role: AppRole): Promise<z.infer<typeof OtpVerifyResponse>> {
    return this.call('POST', '/api/auth/otp/verify', OtpVerifyResponse, { body: { phone, code, role }, retries429: 3 });
  }

  refresh(refreshToken: string): Promise<z.infer<typeof TokenPair>> {
    return this.call('POST', '/api/auth/refresh', TokenPair, { body: { refreshToken } });
  }

  async logout(refreshToken: string): Promise<void> {
    await this.call('POST', '/api/auth/logout', z.unknown(), { body: { refreshToken } });
  }
}

export function toApiError(method: string, path: string, response: ApiResponse): ApiError {
  const parsed = ErrorBodySchema.safeParse(response.body);
  if (!parsed.success) {
    throw new ApiContractError(`${method} ${path} answered ${response.status} without the contract's error shape`);
  }
  const retryAfter = response.headers.get('retry-after');
  return new ApiError(
    method,
    path,
    response.status,
    parsed.data.error.code,
    parsed.data.error.message,
    parsed.data.error.details,
    retryAfter === null ? undefined : Number(retryAfter),
  );
}

/**
 * A logged-in user: the token pair, refreshed shortly before the access token expires, and the
 * REST calls the simulated apps make.
 */
export class UserSession {
  readonly api: AuthApi;
  readonly role: AppRole;
  readonly phone: string;
  user: z.infer<typeof UserView>;
  private accessToken: string;
  private refreshToken: string;
  private expiresAt: number;
  private refreshing: Promise<void> | undefined;

  constructor(api: AuthApi, phone: string, role: AppRole, login: z.infer<typeof OtpVerifyResponse>) {
    this.api = api;
    this.phone = phone;
    this.role = role;
    this.user = login.user;
    this.accessToken = login.accessToken;
    this.refreshToken = login.refreshToken;
    this.expiresAt = Date.now() + login.expiresInS * 1000;
  }

  get userId(): string {
    return this.user.id;
  }

  /** A valid access token (refreshed when it has under a minute left). */
  async token(): Promise<string> {
    if (Date.now() > this.expiresAt - 60_000) await this.rotate();
    return this.accessToken;
  }

  /** A new access token whatever the old one's age: the socket said session.expiring. */
  async freshToken(): Promise<string> {
    await this.rotate();
    return this.accessToken;
  }

  /** One refresh at a time: concurrent callers share it (a second use of the refresh token would revoke the login). */
  private rotate(): Promise<void> {
    this.refreshing ??= this.api
      .refresh(this.refreshToken)
      .then((pair) => {
        this.accessToken = pair.accessToken;
        this.refreshToken = pair.refreshToken;
        this.expiresAt = Date.now() + pair.expiresInS * 1000;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  async call<S extends z.ZodType>(method: string, path: string, schema: S, options: Omit<CallOptions, 'token'> & { okStatuses?: number[] } = {}): Promise<z.infer<S>> {
    return this.api.call(method, path, schema, { ...options, token: await this.token() });
  }

  async raw(method: string, path: string, options: Omit<CallOptions, 'token'> = {}): Promise<ApiResponse> {
    return this.api.raw(method, path, { ...options, token: await this.token() });
  }

  async updateProfile(fields: { name?: string; email?: string }): Promise<void> {
    this.user = await this.call('PATCH', '/api/users/me', UserView, { body: fields });
  }

  putVehicle(vehicle: VehicleBody): Promise<z.infer<typeof VehicleView>> {
    return this.call('PUT', '/api/users/me/vehicle', VehicleView, { body: vehicle });
  }

  wallet(): Promise<z.infer<typeof WalletView>> {
    return this.call('GET', '/api/payments/wallet', WalletView);
  }

  /** Tops up the wallet; `idempotencyKey` makes a retry safe (the same transaction comes back). */
  topUp(amount: number, idempotencyKey: string = randomUUID()): Promise<z.infer<typeof TransactionView>> {
    return this.call('POST', '/api/payments/wallet/topup', TransactionView, { body: { amount }, headers: { 'idempotency-key': idempotencyKey } });
  }

  ride(rideId: string): Promise<z.infer<typeof RideDetailView>> {
    return this.call('GET', `/api/rides/${rideId}`, RideDetailView);
  }

  async rate(rideId: string, rating: RatingBody): Promise<void> {
    await this.call('POST', `/api/rides/${rideId}/rating`, z.unknown(), { body: rating });
  }

  async logout(): Promise<void> {
    await this.api.logout(this.refreshToken).catch(() => undefined);
  }
}

/** Logs in through the real OTP flow: send a code, then verify it (a test phone's fixed code). */
export async function loginWithOtp(api: AuthApi, phone: string, role: AppRole, code: string): Promise<UserSession> {
  await api.sendOtp(phone, role);
  const login = await api.verifyOtp(phone, code, role);
  return new UserSession(api, phone, role, login);
}

/** The realtime service's REST base from its WebSocket URL: ws://host:port/ws -> http://host:port. */
export function httpBaseOf(wsUrl: string): string {
  return wsUrl.replace(/^ws(s?):/, 'http$1:').replace(/\/ws\/?$/, '');
}
