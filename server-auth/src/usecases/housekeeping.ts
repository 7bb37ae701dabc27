/**
 * Periodic clean-up of account tables that only grow: OTP codes and dev outbox messages older than
 * a day, refresh tokens dead for a week (kept that long so reuse of a revoked token still reads
 * as "revoked" rather than "unknown" for a while). Failures are logged and retried next round.
 */
import type { Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import { purgeOldOutboxMessages } from '../db/dev-sms-outbox.js';
import { purgeOldCodes } from '../db/otp-codes.js';
import { purgeExpiredRateLimits } from '../db/rate-limits.js';
import { purgeDeadRefreshTokens, purgeExpiredRevocations } from '../db/refresh-tokens.js';

const DAY_S = 24 * 3600;

export async function runHousekeeping(
  pool: Pool,
): Promise<{ codes: number; outbox: number; refreshTokens: number; revokedSessions: number; rateLimits: number }> {
  return {
    codes: await purgeOldCodes(pool, DAY_S),
    outbox: await purgeOldOutboxMessages(pool, DAY_S),
    refreshTokens: await purgeDeadRefreshTokens(pool, 7 * DAY_S),
    revokedSessions: await purgeExpiredRevocations(pool),
    rateLimits: await purgeExpiredRateLimits(pool),
  };
}

/** Runs housekeeping every `intervalMs` (first run after one interval); returns stop(). */
export function startHousekeeping(pool: Pool, logger: Logger, intervalMs = 10 * 60_000): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    running ??= runHousekeeping(pool)
      .then((purged) => logger.debug({ purged }, 'accounts housekeeping'))
      .catch((error: unknown) => logger.warn({ err: error }, 'accounts housekeeping failed'))
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
