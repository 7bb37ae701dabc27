/** Users as the realtime service needs them: the profile sent in session.state. */
import type { Queryable } from '@drivrr/shared/db';
import type { UserView } from '@drivrr/shared/protocol';
import { averageRating } from '@drivrr/store/rides-read';

interface UserRow {
  id: string;
  phone: string;
  role: UserView['role'];
  name: string | null;
  email: string | null;
  rating_sum: number;
  rating_count: number;
  created_at: Date;
}

/** The user's view, or undefined when no such user exists (deleted since the token was signed). */
export async function findUserView(db: Queryable, userId: string): Promise<UserView | undefined> {
  const { rows } = await db.query<UserRow>(
    `SELECT id, phone, role, name, email, rating_sum, rating_count, created_at FROM users WHERE id = $1`,
    [userId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    phone: row.phone,
    role: row.role,
    name: row.name,
    email: row.email,
    rating: averageRating(row.rating_sum, row.rating_count),
    ratingCount: row.rating_count,
    createdAt: row.created_at.toISOString(),
  };
}
