/**
 * The read side of rides, shared by the auth service (REST history and detail), the realtime
 * service (session.state) and the ops map (timeline): SQL select fragments, the row types they
 * produce, the row -> view mappers, and a few read queries over any `Queryable`.
 *
 * Fragments use fixed table aliases so callers can compose them:
 *   rides `r`; bids `b`, their driver `bu`, the driver's vehicle `bv`; ride_events `e`.
 */
import { AppError } from '@drivrr/shared';
import type { Queryable } from '@drivrr/shared/db';
import type {
  ActiveRide,
  BidView,
  DriverPartyView,
  PartyView,
  RideDetailView,
  RideEventView,
  RideStatus,
  RideView,
  VehicleView,
} from '@drivrr/shared/protocol';
import { ACTIVE_RIDE_STATUSES, ENGAGED_RIDE_STATUSES } from '@drivrr/shared/protocol';
import { CancellationTerms, customerCancelQuote } from '@drivrr/shared/cancellation-fees';

// ---------------------------------------------------------------------------------------------
// Ratings
// ---------------------------------------------------------------------------------------------

/** The average rating shown to others: sum/count rounded to 2 decimals; null before any rating. */
export function averageRating(ratingSum: number, ratingCount: number): number | null {
  if (ratingCount <= 0) return null;
  return Math.round((ratingSum / ratingCount) * 100) / 100;
}

// ---------------------------------------------------------------------------------------------
// Rides
// ---------------------------------------------------------------------------------------------

/** Columns of `rides r` that `rideRowToView` reads. `cursor_ts` keeps created_at's microseconds. */
export const RIDE_COLUMNS = `
  r.id, r.status, r.customer_id, r.driver_id,
  r.pickup_lat, r.pickup_lng, r.pickup_address,
  r.dropoff_lat, r.dropoff_lng, r.dropoff_address,
  r.fare, r.agreed_fare, r.currency, r.payment_method, r.vehicle_type AS ride_vehicle_type,
  r.distance_m, r.duration_s, r.suggested_fare, r.minimum_fare,
  r.created_at, r.expires_at, r.assigned_at, r.arrived_at, r.started_at, r.completed_at, r.cancelled_at,
  r.cancelled_by, r.cancel_reason, r.cancel_terms, r.cancel_fee,
  to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts`;

export interface RideRow {
  id: string;
  status: RideStatus;
  customer_id: string;
  driver_id: string | null;
  pickup_lat: number;
  pickup_lng: number;
  pickup_address: string | null;
  dropoff_lat: number;
  dropoff_lng: number;
  dropoff_address: string | null;
  fare: number;
  agreed_fare: number | null;
  currency: string;
  payment_method: 'cash' | 'wallet';
  /** The type asked for (aliased: the driver's vehicle columns, joined beside it, have their own `vehicle_type`). */
  ride_vehicle_type: VehicleView['type'];
  distance_m: number;
  duration_s: number;
  suggested_fare: number;
  minimum_fare: number;
  created_at: Date;
  expires_at: Date;
  assigned_at: Date | null;
  arrived_at: Date | null;
  started_at: Date | null;
  completed_at: Date | null;
  cancelled_at: Date | null;
  cancelled_by: 'customer' | 'driver' | 'system' | null;
  cancel_reason: string | null;
  /** jsonb as pg parsed it: the CancellationTerms fixed at assignment (validated by cancellationTermsOf). */
  cancel_terms: unknown;
  cancel_fee: number | null;
  /** Optional: only needed for pagination cursors. */
  cursor_ts?: string;
}

function iso(value: Date): string {
  return value.toISOString();
}
function isoOrNull(value: Date | null): string | null {
  return value === null ? null : value.toISOString();
}
function place(lat: number, lng: number, address: string | null): RideView['pickup'] {
  return address === null ? { lat, lng } : { lat, lng, address };
}

/** The cancellation terms stored on the ride, or null (not assigned yet, or assigned before fees existed, or not a valid shape). */
export function cancellationTermsOf(row: Pick<RideRow, 'cancel_terms'>): CancellationTerms | null {
  const parsed = CancellationTerms.safeParse(row.cancel_terms);
  return parsed.success ? parsed.data : null;
}

/**
 * The ride as the apps see it. `now` (ms since the epoch; the realtime service passes its rides
 * clock) decides `freeCancelUntil` and `cancelFee`: what a cancel by the customer would cost now.
 */
export function rideRowToView(row: RideRow, now: number = Date.now()): RideView {
  const terms = cancellationTermsOf(row);
  const quote = terms
    ? customerCancelQuote(
        {
          status: row.status,
          assignedAt: row.assigned_at?.getTime() ?? null,
          arrivedAt: row.arrived_at?.getTime() ?? null,
          etaS: terms.etaS,
          fare: row.agreed_fare === null ? null : Number(row.agreed_fare),
          currency: row.currency,
        },
        terms,
        now,
      )
    : { freeCancelUntil: null, cancelFee: null };
  return {
    id: row.id,
    status: row.status,
    customerId: row.customer_id,
    driverId: row.driver_id,
    pickup: place(row.pickup_lat, row.pickup_lng, row.pickup_address),
    dropoff: place(row.dropoff_lat, row.dropoff_lng, row.dropoff_address),
    fare: row.fare,
    agreedFare: row.agreed_fare,
    currency: row.currency,
    paymentMethod: row.payment_method,
    vehicleType: row.ride_vehicle_type,
    estimate: {
      distanceM: row.distance_m,
      durationS: row.duration_s,
      suggestedFare: row.suggested_fare,
      minimumFare: row.minimum_fare,
      currency: row.currency,
    },
    createdAt: iso(row.created_at),
    expiresAt: iso(row.expires_at),
    assignedAt: isoOrNull(row.assigned_at),
    arrivedAt: isoOrNull(row.arrived_at),
    startedAt: isoOrNull(row.started_at),
    completedAt: isoOrNull(row.completed_at),
    cancelledAt: isoOrNull(row.cancelled_at),
    cancelledBy: row.cancelled_by,
    cancelReason: row.cancel_reason,
    freeCancelUntil: quote.freeCancelUntil === null ? null : new Date(quote.freeCancelUntil).toISOString(),
    cancelFee: quote.cancelFee,
  };
}

// ---------------------------------------------------------------------------------------------
// Parties (users as the other side of a ride sees them: no phone)
// ---------------------------------------------------------------------------------------------

/** Party columns of a user joined as `alias`, prefixed `prefix` (e.g. `cu`, `customer_`). */
export function partyColumns(alias: string, prefix: string): string {
  return `${alias}.name AS ${prefix}name, ${alias}.rating_sum AS ${prefix}rating_sum, ${alias}.rating_count AS ${prefix}rating_count`;
}
/** Vehicle columns of `vehicles` joined as `alias` (LEFT JOIN: null columns when none), prefixed. */
export function vehicleColumns(alias: string, prefix: string): string {
  return `${alias}.make AS ${prefix}make, ${alias}.model AS ${prefix}model, ${alias}.color AS ${prefix}color, ${alias}.plate AS ${prefix}plate, ${alias}.type AS ${prefix}type`;
}

export interface PartyRow {
  id: string;
  name: string | null;
  rating_sum: number;
  rating_count: number;
}
export interface VehicleRow {
  make: string | null;
  model: string | null;
  color: string | null;
  plate: string | null;
  type: VehicleView['type'] | null;
}

export function partyRowToView(row: PartyRow): PartyView {
  return { id: row.id, name: row.name, rating: averageRating(row.rating_sum, row.rating_count) };
}

export function vehicleRowToView(row: VehicleRow): VehicleView | null {
  if (row.make === null || row.model === null || row.color === null || row.plate === null || row.type === null) return null;
  return { make: row.make, model: row.model, color: row.color, plate: row.plate, type: row.type };
}

export function driverPartyRowToView(party: PartyRow, vehicle: VehicleRow): DriverPartyView {
  return { ...partyRowToView(party), vehicle: vehicleRowToView(vehicle) };
}

/** Reads `${prefix}name`, `${prefix}rating_sum`... from a flat row. */
function pickParty(row: Record<string, unknown>, id: string, prefix: string): PartyRow {
  return {
    id,
    name: (row[`${prefix}name`] as string | null) ?? null,
    rating_sum: Number(row[`${prefix}rating_sum`] ?? 0),
    rating_count: Number(row[`${prefix}rating_count`] ?? 0),
  };
}
function pickVehicle(row: Record<string, unknown>, prefix: string): VehicleRow {
  const get = (k: string) => (row[`${prefix}${k}`] as string | null | undefined) ?? null;
  return { make: get('make'), model: get('model'), color: get('color'), plate: get('plate'), type: get('type') as VehicleRow['type'] };
}

// ---------------------------------------------------------------------------------------------
// Bids
// ---------------------------------------------------------------------------------------------

/** How many of a driver's latest assignments his cancellation rate is taken over. */
export const CANCELLATION_RATE_WINDOW = 50;

/**
 * The share (0..1) of the driver's last CANCELLATION_RATE_WINDOW assignments that he cancelled for a
 * reason that counts against him; 0 before any. An index-only walk of rides_driver_assigned_idx
 * (at most 50 rows) per bid, so cheap enough on the bid path.
 */
export function cancellationRateColumn(driverIdSql: string, as: string): string {
  return `(SELECT coalesce(round(avg(CASE WHEN last_rides.cancel_counts_against_driver THEN 1 ELSE 0 END), 4), 0)
      FROM (SELECT cr.cancel_counts_against_driver FROM rides cr
             WHERE cr.driver_id = ${driverIdSql} AND cr.assigned_at IS NOT NULL
             ORDER BY cr.assigned_at DESC LIMIT ${CANCELLATION_RATE_WINDOW}) last_rides) AS ${as}`;
}

/** Columns for `BID_FROM`: the bid, its driver's party columns, cancellation rate and vehicle. */
export const BID_COLUMNS = `
  b.id, b.ride_id, b.driver_id, b.fare, b.eta_s, b.distance_m, b.status, b.expires_at, b.created_at,
  ${partyColumns('bu', 'driver_')},
  ${cancellationRateColumn('b.driver_id', 'driver_cancellation_rate')},
  ${vehicleColumns('bv', 'vehicle_')}`;
/** `FROM` clause matching BID_COLUMNS. */
export const BID_FROM = `bids b JOIN users bu ON bu.id = b.driver_id LEFT JOIN vehicles bv ON bv.driver_id = b.driver_id`;

export interface BidRow {
  id: string;
  ride_id: string;
  driver_id: string;
  fare: number;
  eta_s: number;
  distance_m: number;
  status: BidView['status'];
  expires_at: Date;
  created_at: Date;
  driver_name: string | null;
  driver_rating_sum: number;
  driver_rating_count: number;
  /** numeric, as pg returns it (a string) */
  driver_cancellation_rate: string | number;
  vehicle_make: string | null;
  vehicle_model: string | null;
  vehicle_color: string | null;
  vehicle_plate: string | null;
  vehicle_type: VehicleView['type'] | null;
}

export function bidRowToView(row: BidRow): BidView {
  const flat = row as unknown as Record<string, unknown>;
  return {
    id: row.id,
    rideId: row.ride_id,
    fare: row.fare,
    etaS: row.eta_s,
    status: row.status,
    expiresAt: iso(row.expires_at),
    createdAt: iso(row.created_at),
    driver: {
      ...driverPartyRowToView(pickParty(flat, row.driver_id, 'driver_'), pickVehicle(flat, 'vehicle_')),
      cancellationRate: Number(row.driver_cancellation_rate),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

export const EVENT_COLUMNS = `e.id, e.ride_id, e.type, e.from_status, e.to_status, e.actor_role, e.actor_id, e.data, e.created_at`;

export interface EventRow {
  id: number;
  ride_id: string;
  type: string;
  from_status: RideStatus | null;
  to_status: RideStatus | null;
  actor_role: 'customer' | 'driver' | 'system';
  actor_id: string | null;
  data: Record<string, unknown> | null;
  created_at: Date;
}

export function eventRowToView(row: EventRow): RideEventView {
  const data = row.data !== null && typeof row.data === 'object' && !Array.isArray(row.data) ? row.data : {};
  return {
    id: Number(row.id),
    type: row.type,
    fromStatus: row.from_status,
    toStatus: row.to_status,
    actorRole: row.actor_role,
    actorId: row.actor_id,
    data,
    createdAt: iso(row.created_at),
  };
}

// ---------------------------------------------------------------------------------------------
// Cursors: opaque keyset (created_at with microseconds, id), base64url JSON
// ---------------------------------------------------------------------------------------------

export interface RideCursor {
  createdAt: string;
  id: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURSOR_TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeRideCursor(cursor: RideCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id]), 'utf8').toString('base64url');
}

/** Decodes a cursor from `encodeRideCursor`; anything else -> AppError validation_failed. */
export function decodeRideCursor(raw: string): RideCursor {
  const invalid = () => new AppError('validation_failed', 'cursor is not valid', { details: { field: 'cursor' } });
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(raw)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [createdAt, id] = parsed as unknown[];
  if (typeof createdAt !== 'string' || !CURSOR_TS_RE.test(createdAt) || Number.isNaN(Date.parse(createdAt))) throw invalid();
  if (typeof id !== 'string' || !UUID_RE.test(id)) throw invalid();
  return { createdAt, id };
}

// ---------------------------------------------------------------------------------------------
// Read queries
// ---------------------------------------------------------------------------------------------

export { ACTIVE_RIDE_STATUSES, ENGAGED_RIDE_STATUSES } from '@drivrr/shared/protocol';

export type RideParticipantRole = 'customer' | 'driver';

/** Rides with both parties (and the driver's vehicle) joined: for detail and active ride. */
const RIDE_WITH_PARTIES = `
  SELECT ${RIDE_COLUMNS},
         ${partyColumns('cu', 'customer_')},
         ${partyColumns('du', 'driver_')},
         ${vehicleColumns('dv', 'vehicle_')}
    FROM rides r
    JOIN users cu ON cu.id = r.customer_id
    LEFT JOIN users du ON du.id = r.driver_id
    LEFT JOIN vehicles dv ON dv.driver_id = r.driver_id`;

type RideWithPartiesRow = RideRow & Record<string, unknown>;

function ridePartiesToView(row: RideWithPartiesRow): { customer: PartyView; driver: DriverPartyView | null } {
  return {
    customer: partyRowToView(pickParty(row, row.customer_id, 'customer_')),
    driver: row.driver_id === null ? null : driverPartyRowToView(pickParty(row, row.driver_id, 'driver_'), pickVehicle(row, 'vehicle_')),
  };
}

export interface BidFilter {
  /** Only this driver's bids (what a driver may see of a ride: never the competitors' offers). */
  driverId?: string;
}

/** The bids of a ride, oldest first, with their drivers. */
export async function listBidsForRide(q: Queryable, rideId: string, filter: BidFilter = {}): Promise<BidView[]> {
  const params: unknown[] = [rideId];
  let where = 'b.ride_id = $1';
  if (filter.driverId !== undefined) {
    params.push(filter.driverId);
    where += ' AND b.driver_id = $2';
  }
  const { rows } = await q.query<BidRow>(`SELECT ${BID_COLUMNS} FROM ${BID_FROM} WHERE ${where} ORDER BY b.created_at, b.id`, params);
  return rows.map(bidRowToView);
}

export interface EventFilter {
  /**
   * The timeline as this driver may see it: status changes, the customer's events and the
   * driver's own; not the competitors' bids, nor whom else the ride was offered to.
   */
  visibleToDriver?: string;
}

/** The timeline of a ride, in the order it happened. */
export async function listEventsForRide(q: Queryable, rideId: string, filter: EventFilter = {}): Promise<RideEventView[]> {
  const params: unknown[] = [rideId];
  let where = 'e.ride_id = $1';
  if (filter.visibleToDriver !== undefined) {
    params.push(filter.visibleToDriver);
    where += ` AND (e.to_status IS NOT NULL OR e.actor_role = 'customer' OR e.actor_id = $2 OR e.data->>'driverId' = $2::text)`;
  }
  const { rows } = await q.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM ride_events e WHERE ${where} ORDER BY e.id`, params);
  return rows.map(eventRowToView);
}

/** Reads one ride with its fields mapped; undefined when it does not exist. */
export async function getRide(q: Queryable, rideId: string): Promise<RideView | undefined> {
  const { rows } = await q.query<RideRow>(`SELECT ${RIDE_COLUMNS} FROM rides r WHERE r.id = $1`, [rideId]);
  return rows[0] ? rideRowToView(rows[0]) : undefined;
}

/**
 * A ride with both parties, its bids (with drivers), its timeline and the customer's rating of
 * the driver. Undefined when no such ride. Access control is the caller's job (parties only).
 * `viewerDriverId`: the ride as that driver may see it (only their own bids and the events
 * `EventFilter.visibleToDriver` keeps); omit it for the customer and for operators.
 */
export async function getRideDetail(q: Queryable, rideId: string, options: { viewerDriverId?: string } = {}): Promise<RideDetailView | undefined> {
  const { rows } = await q.query<RideWithPartiesRow>(`${RIDE_WITH_PARTIES} WHERE r.id = $1`, [rideId]);
  const row = rows[0];
  if (!row) return undefined;
  // One after the other: `q` may be a single client inside the caller's transaction.
  const driverView = options.viewerDriverId;
  const bids = await listBidsForRide(q, rideId, driverView === undefined ? {} : { driverId: driverView });
  const events = await listEventsForRide(q, rideId, driverView === undefined ? {} : { visibleToDriver: driverView });
  const rating = await q.query<{ stars: number; comment: string | null }>(
    `SELECT stars, comment FROM ratings WHERE ride_id = $1 AND rater_id = $2`,
    [rideId, row.customer_id],
  );
  const ratingRow = rating.rows[0];
  return {
    ...rideRowToView(row),
    ...ridePartiesToView(row),
    bids,
    events,
    rating: ratingRow ? { stars: Number(ratingRow.stars), comment: ratingRow.comment } : null,
  };
}

export interface ListRidesArgs {
  userId: string;
  role: RideParticipantRole;
  status?: RideStatus | undefined;
  limit: number;
  cursor?: string | undefined;
}

/**
 * A user's rides, newest first (as customer or as driver, by role), keyset-paginated:
 * `nextCursor` is null on the last page. A malformed cursor -> AppError validation_failed.
 */
export async function listRidesForUser(q: Queryable, args: ListRidesArgs): Promise<{ items: RideView[]; nextCursor: string | null }> {
  const limit = Math.max(1, Math.min(100, Math.trunc(args.limit)));
  const ownerColumn = args.role === 'driver' ? 'r.driver_id' : 'r.customer_id';
  const params: unknown[] = [args.userId];
  const where = [`${ownerColumn} = $1`];
  if (args.status !== undefined) {
    params.push(args.status);
    where.push(`r.status = $${params.length}`);
  }
  if (args.cursor !== undefined) {
    const cursor = decodeRideCursor(args.cursor);
    params.push(cursor.createdAt, cursor.id);
    where.push(`(r.created_at, r.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(limit + 1);
  const { rows } = await q.query<RideRow>(
    `SELECT ${RIDE_COLUMNS} FROM rides r WHERE ${where.join(' AND ')}
      ORDER BY r.created_at DESC, r.id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last?.cursor_ts ? encodeRideCursor({ createdAt: last.cursor_ts, id: last.id }) : null;
  return { items: page.map((row) => rideRowToView(row)), nextCursor };
}

/**
 * The user's live ride (requested/assigned/arrived/in_progress for a customer; assigned/arrived/
 * in_progress for a driver), with parties and bids; undefined when none. A driver sees only
 * their own bids.
 */
export async function getActiveRideForUser(q: Queryable, userId: string, role: RideParticipantRole, now: number = Date.now()): Promise<ActiveRide | undefined> {
  const where = role === 'driver' ? `r.driver_id = $1` : `r.customer_id = $1`;
  const statuses = role === 'driver' ? ENGAGED_RIDE_STATUSES : ACTIVE_RIDE_STATUSES;
  const { rows } = await q.query<RideWithPartiesRow>(`${RIDE_WITH_PARTIES} WHERE ${where} AND r.status = ANY($2::text[]) ORDER BY r.created_at DESC LIMIT 1`, [userId, statuses]);
  const row = rows[0];
  if (!row) return undefined;
  const bids = await listBidsForRide(q, row.id, role === 'driver' ? { driverId: userId } : {});
  return { ...rideRowToView(row, now), ...ridePartiesToView(row), bids };
}
