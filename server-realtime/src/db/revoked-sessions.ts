/** Ended logins (revoked_sessions, written by the auth service when it revokes a refresh-token family). */
import type { Queryable } from '@drivrr/shared/db';

/** Whether the login `sessionId` was ended (logout or revocation). */
export async function isSessionRevoked(db: Queryable, sessionId: string): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM revoked_sessions WHERE session_id = $1`, [sessionId]);
  return (rowCount ?? 0) > 0;
}

/** The id of the newest revocation (0 when none): where watching starts. */
export async function latestRevocationId(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ id: number | null }>(`SELECT max(id) AS id FROM revoked_sessions`);
  return rows[0]?.id ?? 0;
}

/** Revocations recorded after `afterId`, oldest first, at most `limit`. */
export async function revocationsAfter(db: Queryable, afterId: number, limit: number): Promise<{ id: number; sessionId: string }[]> {
  const { rows } = await db.query<{ id: number; session_id: string }>(
    `SELECT id, session_id FROM revoked_sessions WHERE id > $1 ORDER BY id LIMIT $2`,
    [afterId, limit],
  );
  return rows.map((r) => ({ id: r.id, sessionId: r.session_id }));
}
