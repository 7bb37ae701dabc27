/**
 * One-time codes: generation, keyed hashing, constant-time comparison, and the rules that decide
 * what a verify attempt on a stored code means. No I/O here; the use case reads and writes rows.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { OtpRole } from '@drivrr/shared/protocol';

export const OTP_DIGITS = 6;

/** A 6-digit code from the CSPRNG (uniform over 000000..999999, about 20 bits). */
export function generateCode(): string {
  return String(randomInt(0, 10 ** OTP_DIGITS)).padStart(OTP_DIGITS, '0');
}

/**
 * The keyed hash a code is stored as: HMAC-SHA256 under the server's pepper, bound to the phone and
 * role so a stolen table row cannot be brute-forced offline without the pepper.
 */
export function hashCode(pepper: string, phone: string, role: OtpRole, code: string): string {
  return createHmac('sha256', pepper).update(`${phone}\n${role}\n${code}`).digest('hex');
}

/** Compares two hex HMACs in constant time. */
export function hashesMatch(storedHex: string, presentedHex: string): boolean {
  const a = Buffer.from(storedHex, 'hex');
  const b = Buffer.from(presentedHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The state of the latest code of a phone and role, as stored. */
export interface StoredCodeState {
  attempts: number;
  maxAttempts: number;
  expired: boolean;
  consumed: boolean;
  dead: boolean;
}

/** Why a stored code cannot be tried at all, or undefined when it can. */
export type CodeRefusal = 'no_code' | 'consumed' | 'dead' | 'expired';

export function refusalOf(code: StoredCodeState | undefined): CodeRefusal | undefined {
  if (code === undefined) return 'no_code';
  if (code.consumed) return 'consumed';
  if (code.dead || code.attempts >= code.maxAttempts) return 'dead';
  if (code.expired) return 'expired';
  return undefined;
}

/** The longest wait between tries the growing delay reaches. */
const MAX_VERIFY_DELAY_S = 3600;

/**
 * Seconds a phone must wait after its latest wrong code before the next try, given its wrong codes
 * since its last login (over at most a day): none for the first `freeFailures`, then 2, 4, 8, ...
 * up to an hour. With the daily cap on codes this bounds the guesses a day against one phone.
 */
export function verifyDelayS(failures: number, freeFailures: number): number {
  const over = failures - freeFailures;
  if (over <= 0) return 0;
  return Math.min(MAX_VERIFY_DELAY_S, 2 ** Math.min(over, 12));
}

/** The SMS text. */
export function smsBody(code: string, ttlS: number): string {
  return `${code} is your Drivrr code. It expires in ${Math.round(ttlS / 60)} minutes. Never share it.`;
}
