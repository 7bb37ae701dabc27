/**
 * `drivrr login`: send a code, find it (the test phone's fixed code, a --code, or the dev outbox),
 * verify it, and return the verify answer (token pair, user, isNewUser).
 */
import type { OtpRole, OtpVerifyResponse } from '@drivrr/shared/protocol';
import { CliError } from '../output.js';
import type { AuthClient } from './auth-client.js';
import { newestOutboxId, openOutbox, waitForCode } from './outbox.js';

/** The fixed code of the test phones `drivrr up` configures (OTP_TEST_PHONES=+92399*=000000). */
export const DEFAULT_TEST_CODE = '000000';

export interface LoginOptions {
  phone: string;
  role: OtpRole;
  /** A known code (e.g. of a test phone configured with another code). */
  code?: string;
  databaseUrl: string | undefined;
}

export async function loginWithOtp(client: AuthClient, options: LoginOptions): Promise<OtpVerifyResponse & { codeSource: 'flag' | 'test-phone' | 'dev-outbox' }> {
  if (options.code !== undefined) {
    await client.sendOtp(options.phone, options.role);
    return { ...(await client.verifyOtp(options.phone, options.code, options.role)), codeSource: 'flag' };
  }
  // open the outbox first so the new message can be told from older ones
  let pool: ReturnType<typeof openOutbox> | undefined;
  try {
    let before = 0;
    try {
      pool = openOutbox(options.databaseUrl);
      before = await newestOutboxId(pool, options.phone);
    } catch {
      pool = undefined; // no database: fine for test phones
    }
    const sent = await client.sendOtp(options.phone, options.role);
    // a test phone gets no SMS (resendAfterS 0): it logs in with its fixed code
    if (sent.resendAfterS === 0) {
      return { ...(await client.verifyOtp(options.phone, DEFAULT_TEST_CODE, options.role)), codeSource: 'test-phone' };
    }
    if (pool === undefined) {
      throw new CliError('the code went to the dev outbox, but there is no database to read it from: set DATABASE_URL / --database-url, or pass --code');
    }
    const message = await waitForCode(pool, options.phone, before);
    if (!message) throw new CliError(`no code arrived in the dev outbox for ${options.phone} (is the stack using a real SMS provider? pass --code)`);
    return { ...(await client.verifyOtp(options.phone, message.code, options.role)), codeSource: 'dev-outbox' };
  } finally {
    await pool?.end().catch(() => {});
  }
}
