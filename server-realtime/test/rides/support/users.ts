/** Users straight in the database, for tests of the rides module that need no tokens (no auth service). */
import type { Queryable } from '@drivrr/shared/db';
import type { Role } from '@drivrr/shared/protocol';

export interface PlainUser {
  id: string;
  role: Role;
  name: string;
}

let counter = 0;

export async function insertUser(q: Queryable, role: Role, name?: string): Promise<PlainUser> {
  counter += 1;
  const phone = `+92301${String((process.pid % 1000) * 10_000 + counter).padStart(7, '0')}`;
  const label = name ?? `Test ${role} ${counter}`;
  const { rows } = await q.query<{ id: string }>(`INSERT INTO users (phone, role, name) VALUES ($1, $2, $3) RETURNING id`, [phone, role, label]);
  const id = rows[0]!.id;
  if (role === 'driver') {
    await q.query(`INSERT INTO vehicles (driver_id, make, model, color, plate, type) VALUES ($1, 'Suzuki', 'Alto', 'White', $2, 'car')`, [id, `KHI-${counter}`]);
  }
  return { id, role, name: label };
}
