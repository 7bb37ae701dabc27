/** Users repository. Returns plain objects shaped as the apps see them (UserView). */
import type { Queryable } from '@drivrr/shared/db';
import type { Role, UserView } from '@drivrr/shared/protocol';
import { USER_COLUMNS, userRowToView, type UserRow } from '@drivrr/store/users';

/** The account of this phone and role, created when absent (unique on phone+role, so races are safe). */
export async function findOrCreateUser(db: Queryable, phone: string, role: Role): Promise<{ user: UserView; created: boolean }> {
  const inserted = await db.query<UserRow>(
    `INSERT INTO users (phone, role) VALUES ($1, $2) ON CONFLICT (phone, role) DO NOTHING RETURNING ${USER_COLUMNS}`,
    [phone, role],
  );
  if (inserted.rows[0]) return { user: userRowToView(inserted.rows[0]), created: true };
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE phone = $1 AND role = $2`, [phone, role]);
  return { user: userRowToView(rows[0]!), created: false };
}

export async function findUserById(db: Queryable, id: string): Promise<UserView | undefined> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
  return rows[0] && userRowToView(rows[0]);
}

/** Updates the given fields (absent fields stay). */
export async function updateUser(db: Queryable, id: string, fields: { name?: string; email?: string }): Promise<UserView | undefined> {
  const { rows } = await db.query<UserRow>(
    `UPDATE users SET
       name = CASE WHEN $2::boolean THEN $3 ELSE name END,
       email = CASE WHEN $4::boolean THEN $5 ELSE email END,
       updated_at = now()
     WHERE id = $1 RETURNING ${USER_COLUMNS}`,
    [id, fields.name !== undefined, fields.name ?? null, fields.email !== undefined, fields.email ?? null],
  );
  return rows[0] && userRowToView(rows[0]);
}
