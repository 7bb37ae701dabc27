/** Saved addresses repository. Every query is scoped by the owner's id: another user's row is "not found". */
import type { Queryable } from '@drivrr/shared/db';
import type { AddressBody, AddressPatchBody, AddressView } from '@drivrr/shared/protocol';

interface AddressRow {
  id: string;
  label: string;
  address: string;
  lat: number;
  lng: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, label, address, lat, lng, created_at, updated_at`;

function toView(r: AddressRow): AddressView {
  return { id: r.id, label: r.label, address: r.address, lat: r.lat, lng: r.lng, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString() };
}

export async function listAddresses(db: Queryable, userId: string): Promise<AddressView[]> {
  const { rows } = await db.query<AddressRow>(`SELECT ${COLUMNS} FROM addresses WHERE user_id = $1 ORDER BY created_at, id`, [userId]);
  return rows.map(toView);
}

export async function countAddresses(db: Queryable, userId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM addresses WHERE user_id = $1`, [userId]);
  return rows[0]!.n;
}

export async function insertAddress(db: Queryable, userId: string, a: AddressBody): Promise<AddressView> {
  const { rows } = await db.query<AddressRow>(
    `INSERT INTO addresses (user_id, label, address, lat, lng) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [userId, a.label, a.address, a.lat, a.lng],
  );
  return toView(rows[0]!);
}

export async function updateAddress(db: Queryable, userId: string, id: string, a: AddressPatchBody): Promise<AddressView | undefined> {
  const { rows } = await db.query<AddressRow>(
    `UPDATE addresses SET
       label = coalesce($3, label), address = coalesce($4, address),
       lat = coalesce($5, lat), lng = coalesce($6, lng), updated_at = now()
     WHERE id = $1 AND user_id = $2 RETURNING ${COLUMNS}`,
    [id, userId, a.label ?? null, a.address ?? null, a.lat ?? null, a.lng ?? null],
  );
  return rows[0] && toView(rows[0]);
}

export async function deleteAddress(db: Queryable, userId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM addresses WHERE id = $1 AND user_id = $2`, [id, userId]);
  return rowCount === 1;
}
