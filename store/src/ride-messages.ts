/**
 * In-ride chat (contract 1.1): messages between the customer and the driver of a ride. Written by
 * the realtime service (chat.send, in the transaction of the ride event that delivers it), read by
 * the auth service (GET /api/rides/:id/messages) and by session.state (the last 50).
 */
import type { Queryable } from '@drivrr/shared/db';
import type { ChatMessageView } from '@drivrr/shared/protocol';

/** How many messages session.state carries (the newest, oldest first). */
export const SESSION_STATE_MESSAGES = 50;

interface MessageRow {
  id: string;
  ride_id: string;
  sender_role: 'customer' | 'driver';
  body: string;
  created_at: Date;
}

const MESSAGE_COLUMNS = `m.id, m.ordinal, m.ride_id, m.sender_role, m.body, m.created_at`;

export function messageRowToView(row: MessageRow): ChatMessageView {
  return { rideId: row.ride_id, messageId: row.id, from: row.sender_role, text: row.body, sentAt: row.created_at.toISOString() };
}

export interface NewRideMessage {
  rideId: string;
  senderId: string;
  senderRole: 'customer' | 'driver';
  text: string;
  /** The id of the sender's chat.send frame, when it had one: a re-sent frame is not stored twice. */
  clientMessageId: string | null;
  sentAt: Date;
}

/** Stores a message; undefined when the sender already sent one with this client id (see findMessageByClientId). */
export async function insertRideMessage(q: Queryable, message: NewRideMessage): Promise<ChatMessageView | undefined> {
  const { rows } = await q.query<MessageRow>(
    `INSERT INTO ride_messages AS m (ride_id, sender_id, sender_role, body, client_message_id, created_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (ride_id, sender_id, client_message_id) WHERE client_message_id IS NOT NULL DO NOTHING
     RETURNING ${MESSAGE_COLUMNS}`,
    [message.rideId, message.senderId, message.senderRole, message.text, message.clientMessageId, message.sentAt],
  );
  return rows[0] ? messageRowToView(rows[0]) : undefined;
}

/** The message a sender already stored under this client id. */
export async function findMessageByClientId(q: Queryable, rideId: string, senderId: string, clientMessageId: string): Promise<ChatMessageView | undefined> {
  const { rows } = await q.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM ride_messages m WHERE m.ride_id = $1 AND m.sender_id = $2 AND m.client_message_id = $3`,
    [rideId, senderId, clientMessageId],
  );
  return rows[0] ? messageRowToView(rows[0]) : undefined;
}

/** A ride's messages, oldest first; `last`: only the newest that many (still oldest first). */
export async function listRideMessages(q: Queryable, rideId: string, options: { last?: number } = {}): Promise<ChatMessageView[]> {
  if (options.last === undefined) {
    const { rows } = await q.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM ride_messages m WHERE m.ride_id = $1 ORDER BY m.ordinal`, [rideId]);
    return rows.map(messageRowToView);
  }
  const { rows } = await q.query<MessageRow>(
    `SELECT * FROM (SELECT ${MESSAGE_COLUMNS} FROM ride_messages m WHERE m.ride_id = $1 ORDER BY m.ordinal DESC LIMIT $2) newest
      ORDER BY ordinal`,
    [rideId, options.last],
  );
  return rows.map(messageRowToView);
}

/** How many messages `senderId` wrote on the ride since `since` (the chat rate limit). */
export async function countMessagesSince(q: Queryable, rideId: string, senderId: string, since: Date): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ride_messages WHERE ride_id = $1 AND sender_id = $2 AND created_at > $3`,
    [rideId, senderId, since],
  );
  return rows[0]?.n ?? 0;
}
