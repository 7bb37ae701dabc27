/**
 * The timeline of a ride (ride_events), which is also its outbox: every event is written in the
 * transaction of the change it records, numbered by a per-ride `seq`, with the frames the change
 * decided (`effects`). The announcer claims them after the commit and delivers them in seq order;
 * a process that died before claiming leaves them unannounced for the next start.
 */
import type { Queryable } from '@drivrr/shared/db';
import type { RideStatus, ServerMessageType } from '@drivrr/shared/protocol';

export type RideEventActorRole = 'customer' | 'driver' | 'system';

/** The timeline's event types written by the realtime service. */
export type RideEventKind =
  | 'requested'
  | 'offered'
  | 'offers_withdrawn'
  | 'bid_placed'
  | 'bid_expired'
  | 'bid_withdrawn'
  | 'fare_raised'
  | 'assigned'
  | 'bids_rejected'
  | 'arrived'
  | 'started'
  | 'completed'
  | 'cancelled'
  | 'expired'
  | 'chat_message';

/** One frame an event sends: at most one per recipient per event (they share the event's seq). */
export interface OutboxFrame {
  to: string;
  type: ServerMessageType;
  data: Record<string, unknown>;
}

/** What an event decided beyond its timeline entry: frames to send, parties whose state to re-read. */
export interface RideEventEffects {
  frames?: OutboxFrame[];
  /** Drivers whose busy/idle state changed: re-read from the database after the commit. */
  drivers?: string[];
  /** Customers whose live-location follow changed: re-read from the database after the commit. */
  customers?: string[];
}

export interface NewRideEvent {
  rideId: string;
  type: RideEventKind;
  fromStatus?: RideStatus | null;
  toStatus?: RideStatus | null;
  actorRole: RideEventActorRole;
  actorId?: string | null;
  data?: Record<string, unknown>;
  effects?: RideEventEffects;
}

/**
 * Appends events, numbering each ride's from its counter. Rides are taken in id order, so two
 * transactions writing events of the same rides never wait on each other in a cycle; each holds
 * the counters it took to its commit, so one ride's events commit in seq order.
 */
export async function appendRideEvents(q: Queryable, events: readonly NewRideEvent[]): Promise<void> {
  if (events.length === 0) return;
  const byRide = new Map<string, NewRideEvent[]>();
  for (const event of events) byRide.set(event.rideId, [...(byRide.get(event.rideId) ?? []), event]);
  for (const rideId of [...byRide.keys()].sort()) {
    const ofRide = byRide.get(rideId) as NewRideEvent[];
    // One statement takes the seqs and writes the events: the counter's lock is held from here to the commit only.
    const values: unknown[] = [rideId, ofRide.length];
    const tuples = ofRide.map((event, index) => {
      const base = 2 + index * 8;
      values.push(event.type, event.fromStatus ?? null, event.toStatus ?? null, event.actorRole, event.actorId ?? null, JSON.stringify(event.data ?? {}), JSON.stringify(event.effects ?? {}), index + 1);
      return `($${base + 1}::text, $${base + 2}::text, $${base + 3}::text, $${base + 4}::text, $${base + 5}::uuid, $${base + 6}::jsonb, $${base + 7}::jsonb, $${base + 8}::int)`;
    });
    await q.query(
      `WITH counter AS (
         INSERT INTO ride_event_seqs (ride_id, last_seq) VALUES ($1, $2)
         ON CONFLICT (ride_id) DO UPDATE SET last_seq = ride_event_seqs.last_seq + $2 RETURNING last_seq)
       INSERT INTO ride_events (ride_id, type, from_status, to_status, actor_role, actor_id, data, effects, seq)
       SELECT $1, v.type, v.from_status, v.to_status, v.actor_role, v.actor_id, v.data, v.effects, counter.last_seq - $2 + v.ord
         FROM counter, (VALUES ${tuples.join(', ')}) AS v(type, from_status, to_status, actor_role, actor_id, data, effects, ord)`,
      values,
    );
  }
}

export interface OutboxEvent {
  id: number;
  rideId: string;
  seq: number;
  effects: RideEventEffects;
}

interface OutboxRow {
  id: string;
  ride_id: string;
  seq: number;
  effects: RideEventEffects | null;
}

function toOutboxEvent(row: OutboxRow): OutboxEvent {
  return { id: Number(row.id), rideId: row.ride_id, seq: row.seq, effects: row.effects ?? {} };
}

/**
 * Claims a ride's committed events not yet announced (marks them announced) and returns them in
 * seq order. Claimed before they are pushed: a process that dies in between loses its sockets too,
 * and the apps get those events back from the outbox with session.state and session.resume.
 */
export async function claimUnannounced(q: Queryable, rideId: string): Promise<OutboxEvent[]> {
  const { rows } = await q.query<OutboxRow>(
    `UPDATE ride_events SET announced_at = now() WHERE ride_id = $1 AND announced_at IS NULL RETURNING id, ride_id, seq, effects`,
    [rideId],
  );
  return rows.map(toOutboxEvent).sort((a, b) => a.seq - b.seq);
}

/** Namespace of the announcer's advisory locks ('ANNC'), apart from the rides module's ('RIDE'). */
const ANNOUNCE_LOCK_CLASS = 0x414e4e43;

/**
 * Serialises, per ride and across every node, claiming a ride's events and handing their frames
 * over, to the end of the transaction. Without it two nodes that committed consecutive events of
 * one ride could publish them in the wrong order (the second node's publish overtaking the first's).
 */
export async function lockRideAnnouncements(q: Queryable, rideId: string): Promise<void> {
  await q.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [ANNOUNCE_LOCK_CLASS, rideId]);
}

/** Rides with events committed but never announced (a process died between commit and announce). */
export async function ridesWithUnannounced(q: Queryable): Promise<string[]> {
  const { rows } = await q.query<{ ride_id: string }>(`SELECT DISTINCT ride_id FROM ride_events WHERE announced_at IS NULL`);
  return rows.map((row) => row.ride_id);
}

/** A ride's events after `seq`, in order (for session.resume), whether announced yet or not. */
export async function listEventsAfter(q: Queryable, rideId: string, seq: number): Promise<OutboxEvent[]> {
  const { rows } = await q.query<OutboxRow>(`SELECT id, ride_id, seq, effects FROM ride_events WHERE ride_id = $1 AND seq > $2 ORDER BY seq`, [rideId, seq]);
  return rows.map(toOutboxEvent);
}

/** The seq of the last committed event of a ride (0 when none). */
export async function lastSeqOf(q: Queryable, rideId: string): Promise<number> {
  const { rows } = await q.query<{ last_seq: number }>(`SELECT last_seq FROM ride_event_seqs WHERE ride_id = $1`, [rideId]);
  return rows[0]?.last_seq ?? 0;
}
