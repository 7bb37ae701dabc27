/**
 * Which fixes of a background batch (POST /api/locations) count. Pure: the caller passes the
 * newest fix time it already knows of the driver and the server's now.
 */
import type { LocationFix } from '@drivrr/shared/protocol';

/** Fixes less accurate than this (horizontal radius, metres) are skipped. */
export const MAX_FIX_ACCURACY_M = 100;
/**
 * A phone's clock may run ahead of the server's by this much: a fix stamped later than
 * now + this is from the future and skipped (the socket path trusts `ts` within the same skew).
 */
export const MAX_FIX_CLOCK_SKEW_MS = 60_000;

export interface SortedFixes {
  accepted: number;
  skipped: number;
  /** The newest good fix (the one that counts like a location.update), if any. */
  newest: LocationFix | undefined;
}

/**
 * A fix is skipped when it is not newer than `newestKnownTs` (stale: the driver already told us
 * something newer), stamped after `now + MAX_FIX_CLOCK_SKEW_MS` (future), or has
 * `accuracyM > MAX_FIX_ACCURACY_M` (inaccurate). Of the good ones, the newest counts; ties go to
 * the later one in the batch (the phone sent it last).
 */
export function sortOutFixes(fixes: readonly LocationFix[], newestKnownTs: number | undefined, now: number): SortedFixes {
  let accepted = 0;
  let newest: LocationFix | undefined;
  for (const fix of fixes) {
    if (newestKnownTs !== undefined && fix.ts <= newestKnownTs) continue;
    if (fix.ts > now + MAX_FIX_CLOCK_SKEW_MS) continue;
    if (fix.accuracyM !== undefined && fix.accuracyM > MAX_FIX_ACCURACY_M) continue;
    accepted += 1;
    if (newest === undefined || fix.ts >= newest.ts) newest = fix;
  }
  return { accepted, skipped: fixes.length - accepted, newest };
}

/**
 * The time a counted fix is stored with: its own, but never later than the server's now (a fix
 * from a phone whose clock runs ahead must not make the next socket fix look stale).
 */
export function fixedAt(fix: LocationFix, now: number): number {
  return Math.min(fix.ts, now);
}
