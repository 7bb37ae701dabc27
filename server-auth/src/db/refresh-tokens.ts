/** Refresh tokens repository: only SHA-256 hashes are stored; a family per login. */
import type { PoolClient, Queryable } from '@drivrr/shared/db';
import type { Role } from '@drivrr/shared/protocol';

export interface StoredRefreshToken {
  id: string;
  userId: string;
  role: Role;
  familyId: string;
  expired: boolean;
  revoked: boolean;
  /** Seconds since it was rotated, or null when it is the family's current token. */
  secondsSinceRotation: number | null;
}

export async function insertRefreshToken(
  db: Queryable,
  t: { userId: string; familyId: string; tokenHash: string; ttlS: number },
): Promise<{ id: string }> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING id`,
    [t.userId, t.familyId, t.tokenHash, t.ttlS],
  );
  return { id: rows[0]!.id };
}

/** The token with this hash, row-locked for the caller's transaction (rotation is one at a time). */
export async function lockRefreshToken(client: PoolClient, tokenHash: string): Promise<StoredRefreshToken | undefined> {
  const { rows } = await client.query<{
    id: string; user_id: string; role: Role; family_id: string; expired: boolean; revoked: boolean; since_rotation: number | null;
  }>(
    `SELECT t.id, t.user_id, u.role, t.family_id, t.expires_at <= now() AS expired, t.revoked_at IS NOT NULL AS revoked,
            extract(epoch FROM now() - t.rotated_at)::float8 AS since_rotation
     FROM refresh_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.token_hash = $1 FOR UPDATE OF t`,
    [tokenHash],
  );
  const r = rows[0];
  return r && {
    id: r.id, userId: r.user_id, role: r.role, familyId: r.family_id, expired: r.expired, revoked: r.revoked, secondsSinceRotation: r.since_rotation,
  };
}

export async function markRotated(db: Queryable, id: string, replacedBy: string): Promise<void> {
  await db.query(`UPDATE refresh_tokens SET rotated_at = now(), replaced_by = $2 WHERE id = $1`, [id, replacedBy]);
}

/**
 * Revokes every token of a family (idempotent) and records the login as ended in
 * revoked_sessions, which the realtime service watches: it closes the login's sockets and refuses
 * its access tokens. The row is kept `accessTtlS` seconds, the longest an access token of the
 * login may still be valid.
 */
export async function revokeFamily(db: Queryable, familyId: string, accessTtlS: number): Promise<void> {
  await db.query(
    `WITH revoked AS (UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL)
     INSERT INTO revoked_sessions (session_id, expires_at) VALUES ($1, now() + make_interval(secs => $2))
     ON CONFLICT (session_id) DO NOTHING`,
    [familyId, accessTtlS],
  );
}

/** Whether the login (refresh-token family) `sessionId` was ended. */
export async function isSessionRevoked(db: Queryable, sessionId: string): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM revoked_sessions WHERE session_id = $1`, [sessionId]);
  return (rowCount ?? 0) > 0;
}

/** Deletes records of ended logins whose access tokens have all expired. */
export async function purgeExpiredRevocations(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM revoked_sessions WHERE expires_at < now()`);
  return rowCount ?? 0;
}

/** The family of the token with this hash, if any. */
export async function familyOfToken(db: Queryable, tokenHash: string): Promise<string | undefined> {
  const { rows } = await db.query<{ family_id: string }>(`SELECT family_id FROM refresh_tokens WHERE token_hash = $1`, [tokenHash]);
  return rows[0]?.family_id;
}

/** Deletes tokens that expired (or were revoked) more than `olderThanS` seconds ago. */
export async function purgeDeadRefreshTokens(db: Queryable, olderThanS: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM refresh_tokens
     WHERE expires_at < now() - make_interval(secs => $1) OR revoked_at < now() - make_interval(secs => $1)`,
    [olderThanS],
  );
  return rowCount ?? 0;
}
