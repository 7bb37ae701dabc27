/**
 * Operator login against the auth service: phone + one-time code with role `operator` (only
 * phones in the auth service's OPERATOR_PHONES may), a refresh when the access token ran out.
 * Tokens live in sessionStorage: gone when the tab closes.
 */
import type { OtpVerifyResponse, TokenPair } from '@drivrr/shared/protocol';

const ACCESS_KEY = 'drivrr.ops.accessToken';
const REFRESH_KEY = 'drivrr.ops.refreshToken';

export interface StoredSession {
  accessToken: string;
  refreshToken: string | undefined;
}

export function loadSession(): StoredSession | undefined {
  const accessToken = sessionStorage.getItem(ACCESS_KEY);
  if (!accessToken) return undefined;
  return { accessToken, refreshToken: sessionStorage.getItem(REFRESH_KEY) ?? undefined };
}

export function saveSession(session: StoredSession): void {
  sessionStorage.setItem(ACCESS_KEY, session.accessToken);
  if (session.refreshToken) sessionStorage.setItem(REFRESH_KEY, session.refreshToken);
  else sessionStorage.removeItem(REFRESH_KEY);
}

export function clearSession(): void {
  sessionStorage.removeItem(ACCESS_KEY);
  sessionStorage.removeItem(REFRESH_KEY);
}

async function postJson<T>(url: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch {
    throw new Error(`cannot reach the auth service at ${new URL(url).origin} (is it running? is ?auth= right?)`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = {};
  }
  if (!res.ok) {
    const error = (json as { error?: { message?: string; code?: string } }).error;
    throw new Error(error?.message ?? error?.code ?? `HTTP ${res.status}`);
  }
  return json as T;
}

export class AuthClient {
  constructor(readonly baseUrl: string) {}

  sendCode(phone: string): Promise<{ expiresInS: number; resendAfterS: number }> {
    return postJson(`${this.baseUrl}/api/auth/otp/send`, { phone, role: 'operator' });
  }

  async verify(phone: string, code: string): Promise<StoredSession> {
    const res = await postJson<OtpVerifyResponse>(`${this.baseUrl}/api/auth/otp/verify`, { phone, code, role: 'operator' });
    if (res.user.role !== 'operator') throw new Error('this account is not an operator');
    return { accessToken: res.accessToken, refreshToken: res.refreshToken };
  }

  /** Revokes the refresh token's family; best effort (the tab forgets the tokens either way). */
  async logout(refreshToken: string): Promise<void> {
    await postJson(`${this.baseUrl}/api/auth/logout`, { refreshToken }).catch(() => undefined);
  }

  async refresh(refreshToken: string): Promise<StoredSession> {
    const res = await postJson<TokenPair>(`${this.baseUrl}/api/auth/refresh`, { refreshToken });
    return { accessToken: res.accessToken, refreshToken: res.refreshToken };
  }
}
