/** A small client of the auth service's account endpoints, for the CLI. Failures become one-line CliErrors. */
import { z } from 'zod';
import {
  ErrorBodySchema, OtpSendResponse, OtpVerifyResponse, UserView, VehicleView,
  type OtpRole, type UpdateMeBody, type VehicleBody,
} from '@drivrr/shared/protocol';
import { CliError } from '../output.js';

export class AuthApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AuthApiError';
  }
}

export interface AuthClient {
  sendOtp(phone: string, role: OtpRole): Promise<z.infer<typeof OtpSendResponse>>;
  verifyOtp(phone: string, code: string, role: OtpRole): Promise<z.infer<typeof OtpVerifyResponse>>;
  updateMe(accessToken: string, body: UpdateMeBody): Promise<UserView>;
  putVehicle(accessToken: string, body: VehicleBody): Promise<VehicleView>;
}

export function authClient(authUrl: string, timeoutMs = 10_000): AuthClient {
  async function call<S extends z.ZodType>(method: string, path: string, schema: S, body: unknown, token?: string): Promise<z.infer<S>> {
    let response: Response;
    try {
      response = await fetch(`${authUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      throw new CliError(`cannot reach the auth service at ${authUrl} (is the stack up? try "drivrr up" or --auth-url)`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      throw new CliError(`${method} ${path} answered ${response.status} with a body that is not JSON`);
    }
    if (!response.ok) {
      const error = ErrorBodySchema.safeParse(json);
      if (error.success) throw new AuthApiError(response.status, error.data.error.code, `${error.data.error.code}: ${error.data.error.message}`);
      throw new AuthApiError(response.status, 'unknown', `${method} ${path} answered ${response.status}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new CliError(`${method} ${path} answered in an unexpected shape`);
    return parsed.data;
  }

  return {
    sendOtp: (phone, role) => call('POST', '/api/auth/otp/send', OtpSendResponse, { phone, role }),
    verifyOtp: (phone, code, role) => call('POST', '/api/auth/otp/verify', OtpVerifyResponse, { phone, code, role }),
    updateMe: (token, body) => call('PATCH', '/api/users/me', UserView, body, token),
    putVehicle: (token, body) => call('PUT', '/api/users/me/vehicle', VehicleView, body, token),
  };
}
