/**
 * The WebSocket protocol of the realtime service (`ws://HOST:8081/ws`), one schema per message.
 * Every frame is `{type, id?, data?}`; the server validates inbound frames against
 * `ClientMessage`, and clients (simulators, tests) may validate what they receive against `ServerMessage`.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import { CancelledBy, IsoTimestamp, LatLng, Money, PaymentMethod, Place, RideStatus, Text, Uuid, VehicleType } from './common.js';
import { BidView, CancelFeeView, ChatMessageView, DriverPartyView, FareEstimate, PartyView, RideDetailView, RideView, UserView } from './entities.js';

/** Frames larger than this are refused with `frame_too_large`. */
export const MAX_FRAME_BYTES = 16 * 1024;
/** The subprotocol browsers offer (with `bearer.<token>`); the server answers with it. */
export const WS_SUBPROTOCOL = 'drivrr.v1';
export const WS_BEARER_PREFIX = 'bearer.';

/** Client-chosen message id, used for ack/error correlation and reconnect dedupe. */
export const MessageId = z.string().min(1).max(64);

/** The outer shape, checked before the type-specific data. */
export const Envelope = z.object({
  type: z.string().min(1).max(64),
  id: MessageId.optional(),
  data: z.unknown().optional(),
});
export type Envelope = z.infer<typeof Envelope>;

/**
 * Why a ride is cancelled: free text, except `customer_no_show` (contract 1.1), which only the
 * assigned driver may give, after waiting WAIT_FREE_S at the pickup: the customer then pays the
 * cancellation fee and the cancel does not count against the driver.
 */
const reason = Text({ min: 1, max: 200 }).describe(
  'Free text; `customer_no_show`: the driver waited WAIT_FREE_S at the pickup (the customer pays the fee; not counted against the driver).',
);
const rideRef = z.object({ rideId: Uuid }).strict();

// ---- Ordered ride events (contract 1.1; issue 13) --------------------------------------------
// Every server frame about one ride carries `seq` in its envelope ({type, seq, data}), growing by
// one with each event of that ride; session.state's activeRide/openRequest carry `lastSeq`.
/** A ride's event number, as frames carry it. */
export const RideSeq = z.number().int().nonnegative();
/** Client -> server: the frames of `rideId` after `seq` (the last one the app applied), then the ack. */
export const SessionResume = z.object({ rideId: Uuid, seq: RideSeq }).strict();
/** Ack data of session.resume: the ride's last seq once the missed frames are out. */
export const SessionResumeAck = z.object({ rideId: Uuid, lastSeq: RideSeq });
export type SessionResumeAck = z.infer<typeof SessionResumeAck>;
// ---- end of ordered ride events ----------------------------------------------------------------
// --- Sessions (contract 1.1): a socket lives no longer than its access token ------------------
/** Close code of a socket whose token expired or whose login ended: refresh (or log in), reconnect. */
export const WS_CLOSE_SESSION_ENDED = 4401;
const sessionClientMessages = {
  /** A fresh access token of the same user; the socket then lives until its `exp`. */
  'session.refresh': z.object({ accessToken: z.string().min(1).max(4096) }).strict(),
} as const;
const sessionServerMessages = {
  /** Sent min(60 s, half the token's lifetime) before `expiresAt`: answer with session.refresh. */
  'session.expiring': z.object({ expiresAt: IsoTimestamp }),
} as const;
/** Ack data of session.refresh. */
export const SessionRefreshAck = z.object({ expiresAt: IsoTimestamp });
export type SessionRefreshAck = z.infer<typeof SessionRefreshAck>;
// ------------------------------------------------------------------------------------------------
// --- In-ride chat (contract 1.1; issue 17) ------------------------------------------------------
/** The longest chat message, in characters. */
export const CHAT_MAX_CHARS = 1000;
const chatClientMessages = {
  /** Either party of an assigned/arrived/in-progress ride; stored before the other party gets it. */
  'chat.send': z.object({ rideId: Uuid, text: Text({ min: 1, max: CHAT_MAX_CHARS }) }).strict(),
} as const;
const chatServerMessages = {
  /** To the other party of the ride, with the ride's `seq`. */
  'chat.message': ChatMessageView,
} as const;
/** Ack data of chat.send. */
export const ChatSendAck = z.object({ messageId: Uuid, sentAt: IsoTimestamp });
export type ChatSendAck = z.infer<typeof ChatSendAck>;
// ------------------------------------------------------------------------------------------------

/** Data schemas of client -> server messages, by type. */
export const clientMessageData = {
  // drivers
  'driver.online': LatLng.strict(),
  'driver.offline': z.object({}).strict(),
  'location.update': LatLng.extend({
    heading: z.number().finite().min(0).max(360).optional(),
    speed: z.number().finite().min(0).max(100).optional(),
    ts: z.number().int().positive().optional(),
  }).strict(),
  'bid.place': z.object({ rideId: Uuid, fare: Money }).strict(),
  'ride.arrived': rideRef,
  'ride.start': rideRef,
  'ride.complete': rideRef,
  // customers
  /** `vehicleType` (contract 1.1): offered only to drivers of that type; priced by its rates. */
  'ride.request': z
    .object({ pickup: Place.strict(), dropoff: Place.strict(), fare: Money, paymentMethod: PaymentMethod, vehicleType: VehicleType.default('car') })
    .strict(),
  'ride.raise_fare': z.object({ rideId: Uuid, fare: Money }).strict(),
  'bid.accept': z.object({ rideId: Uuid, bidId: Uuid }).strict(),
  /** Dev/QA: follow a driver's live location without a ride. */
  'driver.follow': z.object({ driverId: Uuid }).strict(),
  'driver.unfollow': z.object({}).strict(),
  // both
  /**
   * `expectedStatus` (optional): the status the app showed when the user tapped cancel; if the ride
   * has moved on meanwhile (e.g. a bid was accepted), the cancel is refused with invalid_transition
   * instead of cancelling the new state.
   */
  'ride.cancel': z.object({ rideId: Uuid, reason, expectedStatus: RideStatus.optional() }).strict(),
  ...chatClientMessages,
  ping: z.object({}).strict(),
  'session.resume': SessionResume,
  // operators (live operations map)
  'ops.subscribe': z.object({}).strict(),
  /** Operators: one ride's detail and timeline (the same view as GET /api/rides/:id); the ack carries it. */
  'ops.ride': rideRef,
  /** Operators: stop receiving ops.snapshot frames. */
  'ops.unsubscribe': z.object({}).strict(),
  ...sessionClientMessages,
} as const;

export type ClientMessageType = keyof typeof clientMessageData;
export const CLIENT_MESSAGE_TYPES = Object.keys(clientMessageData) as ClientMessageType[];
export type ClientMessageDataOf<T extends ClientMessageType> = z.infer<(typeof clientMessageData)[T]>;
/** What a client may send for a message (fields with a default, e.g. ride.request's vehicleType, optional). */
export type ClientMessageInputOf<T extends ClientMessageType> = z.input<(typeof clientMessageData)[T]>;

/** Which roles may send each client message. */
export const clientMessageRoles: Record<ClientMessageType, readonly ('customer' | 'driver' | 'operator')[]> = {
  'driver.online': ['driver'],
  'driver.offline': ['driver'],
  'location.update': ['driver'],
  'bid.place': ['driver'],
  'ride.arrived': ['driver'],
  'ride.start': ['driver'],
  'ride.complete': ['driver'],
  'ride.request': ['customer'],
  'ride.raise_fare': ['customer'],
  'bid.accept': ['customer'],
  'driver.follow': ['customer', 'operator'],
  'driver.unfollow': ['customer', 'operator'],
  'ride.cancel': ['customer', 'driver'],
  'chat.send': ['customer', 'driver'],
  ping: ['customer', 'driver', 'operator'],
  'session.resume': ['customer', 'driver'],
  'ops.subscribe': ['operator'],
  'ops.ride': ['operator'],
  'ops.unsubscribe': ['operator'],
  'session.refresh': ['customer', 'driver', 'operator'],
};

/** A parsed, validated client message. */
export type ClientMessage = {
  [T in ClientMessageType]: { type: T; id?: string; data: ClientMessageDataOf<T> };
}[ClientMessageType];

export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; id?: string; code: 'invalid_json' | 'validation_failed' | 'unknown_type' | 'frame_too_large'; message: string; details?: Record<string, unknown> };

/**
 * Parses one inbound frame. Never throws: bad JSON, unknown types and bad fields come back as a
 * result the transport turns into an `error` frame (the socket stays open).
 */
export function parseClientFrame(raw: string | Buffer): ParseResult {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > MAX_FRAME_BYTES) {
    return { ok: false, code: 'frame_too_large', message: `frames are limited to ${MAX_FRAME_BYTES} bytes` };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return { ok: false, code: 'invalid_json', message: 'the frame is not valid JSON' };
  }
  const fast = fastAccept(json);
  if (fast !== undefined) return fast;
  const envelope = Envelope.safeParse(json);
  if (!envelope.success) {
    const id = typeof (json as { id?: unknown } | null)?.id === 'string' ? ((json as { id: string }).id.slice(0, 64)) : undefined;
    return { ok: false, ...(id ? { id } : {}), code: 'validation_failed', message: 'a frame is {type, id?, data?}', details: { issues: summarizeIssues(envelope.error) } };
  }
  const { type, id, data } = envelope.data;
  const idPart = id === undefined ? {} : { id };
  if (!Object.hasOwn(clientMessageData, type)) {
    return { ok: false, ...idPart, code: 'unknown_type', message: `unknown message type "${type}"` };
  }
  const schema = clientMessageData[type as ClientMessageType];
  const parsed = schema.safeParse(data ?? {});
  if (!parsed.success) {
    return { ok: false, ...idPart, code: 'validation_failed', message: `invalid data for ${type}`, details: { issues: summarizeIssues(parsed.error) } };
  }
  return { ok: true, message: { type, ...idPart, data: parsed.data } as ClientMessage };
}

// ---------------------------------------------------------------------------------------------
// Fast acceptance of valid frames. Every inbound frame is validated, and zod's safeParse of the
// envelope and the data was the largest JavaScript cost of a relayed location fix (the
// `location.update` hot path, docs/performance.md). Validators compiled by ajv from the SAME zod
// schemas (z.toJSONSchema; nothing is written twice) accept a valid frame in a fraction of that.
// They only ever accept: whatever they refuse goes through zod, so every error result (codes,
// messages, issues) is zod's, exactly as before. And they are used only for message types whose
// zod output equals their input (no transforms such as `.trim()`, no defaults): schemas with a
// free-form string or a default keep zod for everything.

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: false });

function compiled(schema: z.ZodType): ValidateFunction {
  const { $schema, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  void $schema;
  return ajv.compile(jsonSchema);
}

/**
 * True when accepting by the JSON Schema gives what zod's parse would: no default, and every
 * string either an enum or a UUID checked by its pattern (a free-form string may carry a transform).
 */
function outputEqualsInput(node: unknown): boolean {
  if (Array.isArray(node)) return node.every(outputEqualsInput);
  if (typeof node !== 'object' || node === null) return true;
  const record = node as Record<string, unknown>;
  if ('default' in record) return false;
  if (record.type === 'string' && record.enum === undefined && !(record.format === 'uuid' && typeof record.pattern === 'string')) return false;
  return Object.values(record).every(outputEqualsInput);
}

let fastValidators: { envelope: ValidateFunction; data: Map<string, ValidateFunction> } | undefined;

function fastValidatorsOnce(): { envelope: ValidateFunction; data: Map<string, ValidateFunction> } {
  if (fastValidators) return fastValidators;
  const data = new Map<string, ValidateFunction>();
  for (const [type, schema] of Object.entries(clientMessageData)) {
    const jsonSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
    if (outputEqualsInput(jsonSchema)) data.set(type, compiled(schema));
  }
  fastValidators = { envelope: compiled(Envelope), data };
  return fastValidators;
}

/** The result for a frame the compiled validators accept; undefined: let zod decide. */
function fastAccept(json: unknown): ParseResult | undefined {
  const validators = fastValidatorsOnce();
  if (!validators.envelope(json)) return undefined;
  const { type, id, data } = json as { type: string; id?: string; data?: unknown };
  const validate = validators.data.get(type);
  if (validate === undefined || !Object.hasOwn(clientMessageData, type)) return undefined;
  const value = data ?? {};
  if (!validate(value)) return undefined;
  return { ok: true, message: (id === undefined ? { type, data: value } : { type, id, data: value }) as ClientMessage };
}

export function summarizeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.slice(0, 10).map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

// ---------------------------------------------------------------------------------------------
// Server -> client

const DriverLocation = z.object({
  driverId: Uuid,
  lat: z.number(),
  lng: z.number(),
  heading: z.number().nullable(),
  ts: z.number().int(),
});

export const ActiveRide = RideView.extend({
  customer: PartyView,
  driver: DriverPartyView.nullable(),
  bids: z.array(BidView),
  /** The seq of the ride's last event when the state was read (resume from it with session.resume). */
  lastSeq: RideSeq.optional(),
  /** The ride's last 50 chat messages, oldest first (rides with a driver). */
  messages: z.array(ChatMessageView).optional(),
});
export type ActiveRide = z.infer<typeof ActiveRide>;

// ---------------------------------------------------------------------------------------------
// Operators: the live operations map (server-realtime/src/ops, docs/ops-map.md). Read-only and
// anonymised: ids, positions, fares and statuses; never a phone number or a token.

/** idle: online, free; offered: holds an open bid on a request; on_ride: assigned/arrived/in progress. */
export const OpsDriverStatus = z.enum(['idle', 'offered', 'on_ride']);
export type OpsDriverStatus = z.infer<typeof OpsDriverStatus>;

export const OpsDriver = z.object({
  id: Uuid,
  lat: z.number(),
  lng: z.number(),
  heading: z.number().nullable(),
  status: OpsDriverStatus,
  /** The driver's vehicle type (the map draws each type differently). */
  vehicleType: VehicleType,
  /** ms since epoch of the driver's last fix. */
  updatedAt: z.number().int(),
});
export type OpsDriver = z.infer<typeof OpsDriver>;

/** A request still being haggled over (status requested). */
export const OpsRequest = z.object({
  rideId: Uuid,
  vehicleType: VehicleType,
  pickup: LatLng,
  dropoff: LatLng,
  /** The fare the customer asks now. */
  fare: Money,
  currency: z.string(),
  /** Bids still open / ever placed on this request. */
  openBids: z.number().int().nonnegative(),
  totalBids: z.number().int().nonnegative(),
  /** Lowest open bid, null when none is open. */
  bestBid: Money.nullable(),
  createdAt: IsoTimestamp,
  expiresAt: IsoTimestamp,
});
export type OpsRequest = z.infer<typeof OpsRequest>;

/** A ride with a driver that has not ended (assigned, arrived, in_progress). */
export const OpsRide = z.object({
  rideId: Uuid,
  status: z.enum(['assigned', 'arrived', 'in_progress']),
  vehicleType: VehicleType,
  driverId: Uuid,
  pickup: LatLng,
  dropoff: LatLng,
  agreedFare: Money,
  currency: z.string(),
  assignedAt: IsoTimestamp,
});
export type OpsRide = z.infer<typeof OpsRide>;

export const OpsCounters = z.object({
  /** From presence (in memory): drivers online now, by status. */
  driversOnline: z.number().int().nonnegative(),
  driversIdle: z.number().int().nonnegative(),
  driversOffered: z.number().int().nonnegative(),
  driversOnRide: z.number().int().nonnegative(),
  /** From the database: rides with status requested. */
  requestsOpen: z.number().int().nonnegative(),
  /** From the database: every ride, counted by status (all seven statuses present). */
  ridesByStatus: z.record(RideStatus, z.number().int().nonnegative()),
  /** Median seconds from request to assignment over rides assigned in the last 24 h; null before any. */
  medianAssignS: z.number().nonnegative().nullable(),
  /** When the database figures were read. */
  countedAt: IsoTimestamp,
});
export type OpsCounters = z.infer<typeof OpsCounters>;

/**
 * The operations picture, sent a few times a second at most (coalesced), never per fix. Requests,
 * rides and counters are always whole. Drivers are whole when `full`; otherwise the frame is a
 * delta on the snapshot `seq - 1` (which the service knows this operator received): `drivers`
 * holds only the drivers that appeared or changed, `removedDriverIds` those gone. A client that
 * missed `seq - 1` ignores the delta and sends `ops.subscribe` again to get a full one.
 */
export const OpsSnapshot = z.object({
  /** Increases by one with every snapshot the service builds. */
  seq: z.number().int().nonnegative(),
  at: IsoTimestamp,
  /** The snapshot interval the service uses (ms); the page interpolates movement over it. */
  intervalMs: z.number().int().positive(),
  full: z.boolean(),
  drivers: z.array(OpsDriver),
  removedDriverIds: z.array(Uuid),
  requests: z.array(OpsRequest),
  rides: z.array(OpsRide),
  counters: OpsCounters,
});
export type OpsSnapshot = z.infer<typeof OpsSnapshot>;

/** Ack data of ops.subscribe. */
export const OpsSubscribeAck = z.object({ intervalMs: z.number().int().positive() });
export type OpsSubscribeAck = z.infer<typeof OpsSubscribeAck>;
/** Ack data of ops.ride: the ride with its bids and timeline, as GET /api/rides/:id returns it. */
export const OpsRideAck = z.object({ ride: RideDetailView });
export type OpsRideAck = z.infer<typeof OpsRideAck>;

export const serverMessageData = {
  ack: z.unknown(),
  error: z.unknown(),
  'session.state': z.object({
    user: UserView,
    activeRide: ActiveRide.nullable(),
    /** For customers: their ride still being haggled over. For drivers: open offers they may bid on. */
    openRequest: ActiveRide.nullable(),
    offers: z.array(z.object({ ride: RideView, distanceToPickupM: z.number().int(), expiresAt: z.string() })).optional(),
    driver: z.object({ online: z.boolean(), location: LatLng.nullable() }).optional(),
  }),
  'session.replaced': z.object({ reason: z.string() }),
  'driver.location': DriverLocation,
  'ride.requested': z.object({ ride: RideView, distanceToPickupM: z.number().int(), expiresAt: z.string() }),
  /** `driver_busy` (extension): you were assigned another ride, so your other offers are gone. */
  'ride.withdrawn': z.object({ rideId: Uuid, reason: z.enum(['taken', 'cancelled', 'expired', 'bid_rejected', 'driver_busy']) }),
  'bid.rejected': z.object({ rideId: Uuid, bidId: Uuid }),
  'bid.received': z.object({ rideId: Uuid, vehicleType: VehicleType, bid: BidView }),
  'bid.expired': z.object({ rideId: Uuid, bidId: Uuid }),
  /** To the customer: a driver took back an open bid (went offline, or was assigned another ride). */
  'bid.withdrawn': z.object({ rideId: Uuid, bidId: Uuid, reason: z.enum(['driver_offline', 'driver_busy']) }),
  'ride.assigned': z.object({ ride: RideView, customer: PartyView.optional(), driver: DriverPartyView.optional() }),
  /** `fee` (contract 1.1): the cancellation fee the customer pays the driver, when the rules charge one. */
  'ride.cancelled': z.object({ rideId: Uuid, by: CancelledBy, reason: z.string(), fee: CancelFeeView.optional() }),
  'ride.status': z.object({ rideId: Uuid, status: RideStatus }),
  'ride.expired': z.object({ rideId: Uuid }),
  'ops.snapshot': OpsSnapshot,
  ...sessionServerMessages,
  ...chatServerMessages,
} as const;
export type ServerMessageType = keyof typeof serverMessageData;
export type ServerMessageDataOf<T extends ServerMessageType> = z.infer<(typeof serverMessageData)[T]>;

/** Ack data of the ride messages (the rides module), for clients that validate what they get. */
export const RideRequestAck = z.object({ rideId: Uuid, estimate: FareEstimate, ride: RideView });
export type RideRequestAck = z.infer<typeof RideRequestAck>;
export const BidPlaceAck = z.object({ bid: BidView, offer: z.enum(['as_offered', 'counter']) });
export type BidPlaceAck = z.infer<typeof BidPlaceAck>;
/** ride.raise_fare, bid.accept, ride.arrived/start/complete, ride.cancel: the ride as it now is. */
export const RideAck = z.object({ ride: RideView });
export type RideAck = z.infer<typeof RideAck>;
/** ride.cancel: the cancelled ride and, when the rules charge one, the fee (also on a repeated cancel). */
export const RideCancelAck = RideAck.extend({ fee: CancelFeeView.optional() });
export type RideCancelAck = z.infer<typeof RideCancelAck>;

export const ErrorFrame = z.object({
  type: z.literal('error'),
  id: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});

export interface ServerFrame<T extends ServerMessageType = ServerMessageType> {
  type: T;
  id?: string;
  /** Frames about one ride: its event number (contract 1.1, "Ordered ride events"). */
  seq?: number;
  data?: ServerMessageDataOf<T>;
  error?: { code: string; message: string; details?: Record<string, unknown> };
}
