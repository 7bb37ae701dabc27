/** Users as the apps see them (UserView): one row type, one column list, one mapper for both services. */
import type { Role, UserView } from '@drivrr/shared/protocol';
import { averageRating } from './rides-read.js';

export interface UserRow {
  id: string;
  phone: string;
  role: Role;
  name: string | null;
  email: string | null;
  rating_sum: number;
  rating_count: number;
  created_at: Date;
}

/** The columns of `users` that `userRowToView` reads. */
export const USER_COLUMNS = `id, phone, role, name, email, rating_sum, rating_count, created_at`;

export function userRowToView(row: UserRow): UserView {
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
