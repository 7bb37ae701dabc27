/** Users as the realtime service needs them: the profile sent in session.state. */
import type { Queryable } from '@drivrr/shared/db';
import type { UserView } from '@drivrr/shared/protocol';
import { USER_COLUMNS, userRowToView, type UserRow } from '@drivrr/store/users';

/** The user's view, or undefined when no such user exists (deleted since the token was signed). */
export async function findUserView(db: Queryable, userId: string): Promise<UserView | undefined> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [userId]);
  return rows[0] ? userRowToView(rows[0]) : undefined;
}
