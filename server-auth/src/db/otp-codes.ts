/** One-time codes repository (otp_codes). Codes are stored only as their keyed hash. */
import type { PoolClient, Queryable } from '@drivrr/shared/db';
import type { OtpRole } from '@drivrr/shared/protocol';

/**
 * Serialises sends for one phone until the caller's transaction ends, so two concurrent sends
 * cannot both pass the resend limits.
 */
export async function lockPhoneForSend(client: PoolClient, phone: string): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('otp-send:' || $1, 0))`, [phone]);
}

export interface SendHistory {
  /** Codes sent to this phone (any role) in the last 24 hours. */
  sentLastDay: number;
  /** Seconds until the oldest of the counted codes of the day leaves the day window (0 when none). */
  secondsUntilDayFrees: number;
  /** Seconds since the last code for this phone and role, or null when none. */
  secondsSinceLastForRole: number | null;
  /** Codes sent to this phone (any role) in the last hour. */
  sentLastHour: number;
  /** Seconds until the oldest of the last hour's codes leaves the hour window (0 when none). */
  secondsUntilOldestLeavesHour: number;
}

export async function sendHistory(db: Queryable, phone: string, role: OtpRole, hourlyLimit: number, dailyLimit: number): Promise<SendHistory> {
  const { rows } = await db.query<{
    since_role: number | null; sent_hour: number; until_free: number | null; sent_day: number; until_day_free: number | null;
  }>(
    `WITH day AS (
       SELECT created_at FROM otp_codes
       WHERE phone = $1 AND created_at > now() - interval '1 day'
       ORDER BY created_at DESC
     ), hour AS (
       SELECT created_at FROM day WHERE created_at > now() - interval '1 hour'
     )
     SELECT
       (SELECT extract(epoch FROM now() - max(created_at))::float8 FROM otp_codes WHERE phone = $1 AND role = $2) AS since_role,
       (SELECT count(*)::int FROM hour) AS sent_hour,
       (SELECT extract(epoch FROM (created_at + interval '1 hour') - now())::float8
          FROM hour ORDER BY created_at DESC OFFSET greatest($3::int - 1, 0) LIMIT 1) AS until_free,
       (SELECT count(*)::int FROM day) AS sent_day,
       (SELECT extract(epoch FROM (created_at + interval '1 day') - now())::float8
          FROM day OFFSET greatest($4::int - 1, 0) LIMIT 1) AS until_day_free`,
    [phone, role, hourlyLimit, dailyLimit],
  );
  const row = rows[0]!;
  return {
    sentLastDay: row.sent_day,
    secondsUntilDayFrees: Math.max(0, row.until_day_free ?? 0),
    secondsSinceLastForRole: row.since_role,
    sentLastHour: row.sent_hour,
    secondsUntilOldestLeavesHour: Math.max(0, row.until_free ?? 0),
  };
}

/** Kills every other still-usable code of the phone and role: only the newest code is ever valid. */
export async function killOtherLiveCodes(db: Queryable, phone: string, role: OtpRole, keepId: string): Promise<void> {
  await db.query(
    `UPDATE otp_codes SET dead_at = now()
     WHERE phone = $1 AND role = $2 AND id <> $3 AND consumed_at IS NULL AND dead_at IS NULL AND expires_at > now()`,
    [phone, role, keepId],
  );
}

export interface NewCode {
  phone: string;
  role: OtpRole;
  codeHash: string;
  ttlS: number;
  maxAttempts: number;
  requestIp: string | null;
}

export async function insertCode(db: Queryable, code: NewCode): Promise<{ id: string }> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO otp_codes (phone, role, code_hash, max_attempts, expires_at, request_ip)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6) RETURNING id`,
    [code.phone, code.role, code.codeHash, code.maxAttempts, code.ttlS, code.requestIp],
  );
  return { id: rows[0]!.id };
}

/** Removes a code whose SMS could not be sent (so it does not count against the resend limits). */
export async function deleteCode(db: Queryable, id: string): Promise<void> {
  await db.query(`DELETE FROM otp_codes WHERE id = $1`, [id]);
}

export interface StoredCode {
  id: string;
  codeHash: string;
  attempts: number;
  maxAttempts: number;
  expired: boolean;
  consumed: boolean;
  dead: boolean;
}

/** The newest code of a phone and role (older ones are dead by construction). */
export async function latestCode(db: Queryable, phone: string, role: OtpRole): Promise<StoredCode | undefined> {
  const { rows } = await db.query<{
    id: string; code_hash: string; attempts: number; max_attempts: number; expired: boolean; consumed: boolean; dead: boolean;
  }>(
    `SELECT id, code_hash, attempts, max_attempts, expires_at <= now() AS expired,
            consumed_at IS NOT NULL AS consumed, dead_at IS NOT NULL AS dead
     FROM otp_codes WHERE phone = $1 AND role = $2
     ORDER BY created_at DESC, id DESC LIMIT 1`,
    [phone, role],
  );
  const r = rows[0];
  return r && { id: r.id, codeHash: r.code_hash, attempts: r.attempts, maxAttempts: r.max_attempts, expired: r.expired, consumed: r.consumed, dead: r.dead };
}

/**
 * Marks the code used, only if it is still usable; false when a concurrent request consumed or
 * killed it first (the row lock makes exactly one of them win).
 */
export async function consumeCode(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE otp_codes SET consumed_at = now()
     WHERE id = $1 AND consumed_at IS NULL AND dead_at IS NULL AND expires_at > now() AND attempts < max_attempts`,
    [id],
  );
  return rowCount === 1;
}

/**
 * Counts one wrong guess atomically; the code dies with the guess that reaches max_attempts.
 * Concurrent wrong guesses queue on the row lock and each re-checks the WHERE clause, so the count
 * never passes the limit. Undefined when the code was already dead, consumed or expired.
 */
export async function recordWrongGuess(db: Queryable, id: string): Promise<{ attempts: number; maxAttempts: number } | undefined> {
  const { rows } = await db.query<{ attempts: number; max_attempts: number }>(
    `UPDATE otp_codes
     SET attempts = attempts + 1,
         last_failed_at = now(),
         dead_at = CASE WHEN attempts + 1 >= max_attempts THEN now() ELSE NULL END
     WHERE id = $1 AND consumed_at IS NULL AND dead_at IS NULL AND expires_at > now() AND attempts < max_attempts
     RETURNING attempts, max_attempts`,
    [id],
  );
  const r = rows[0];
  return r && { attempts: r.attempts, maxAttempts: r.max_attempts };
}

/** Wrong codes entered for a phone (any role) since its last login, over at most a day, and how long ago the latest was. */
export async function failuresSinceLogin(db: Queryable, phone: string): Promise<{ failures: number; secondsSinceLast: number | null }> {
  const { rows } = await db.query<{ failures: number; since_last: number | null }>(
    `SELECT coalesce(sum(attempts), 0)::int AS failures, extract(epoch FROM now() - max(last_failed_at))::float8 AS since_last
     FROM otp_codes
     WHERE phone = $1 AND created_at > now() - interval '1 day'
       AND created_at > coalesce((SELECT max(consumed_at) FROM otp_codes WHERE phone = $1), '-infinity')`,
    [phone],
  );
  return { failures: rows[0]!.failures, secondsSinceLast: rows[0]!.since_last };
}

/** Deletes codes created more than `olderThanS` seconds ago (the hourly limits need the last hour only). */
export async function purgeOldCodes(db: Queryable, olderThanS: number): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM otp_codes WHERE created_at < now() - make_interval(secs => $1)`, [olderThanS]);
  return rowCount ?? 0;
}
