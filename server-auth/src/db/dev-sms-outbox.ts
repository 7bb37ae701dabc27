/** The development SMS outbox (dev_sms_outbox): what a real provider would have sent. */
import type { Queryable } from '@drivrr/shared/db';

export interface OutboxMessage {
  id: number;
  phone: string;
  role: string;
  code: string;
  body: string;
  createdAt: string;
}

export async function insertOutboxMessage(db: Queryable, m: { phone: string; role: string; code: string; body: string }): Promise<void> {
  await db.query(`INSERT INTO dev_sms_outbox (phone, role, code, body) VALUES ($1, $2, $3, $4)`, [m.phone, m.role, m.code, m.body]);
}

/** The newest messages (optionally of one phone, optionally only those after id `afterId`), newest first. */
export async function latestOutboxMessages(
  db: Queryable,
  options: { phone?: string; afterId?: number; limit?: number } = {},
): Promise<OutboxMessage[]> {
  const { rows } = await db.query<{ id: string; phone: string; role: string; code: string; body: string; created_at: Date }>(
    `SELECT id, phone, role, code, body, created_at FROM dev_sms_outbox
     WHERE ($1::text IS NULL OR phone = $1) AND id > $2
     ORDER BY id DESC LIMIT $3`,
    [options.phone ?? null, options.afterId ?? 0, options.limit ?? 20],
  );
  return rows.map((r) => ({ id: Number(r.id), phone: r.phone, role: r.role, code: r.code, body: r.body, createdAt: r.created_at.toISOString() }));
}

export async function purgeOldOutboxMessages(db: Queryable, olderThanS: number): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM dev_sms_outbox WHERE created_at < now() - make_interval(secs => $1)`, [olderThanS]);
  return rowCount ?? 0;
}
