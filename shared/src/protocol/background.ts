/**
 * Contract 1.1, "Locations from the background, and a link to share the trip": the body of
 * `POST /api/locations` (realtime), the share link of `POST /api/rides/:id/share` (auth) and the
 * public track view of `GET /api/track/:token` and its Server-Sent Events (realtime).
 */
import { z } from 'zod';
import { IsoTimestamp, LatLng, Place, RideStatus, VehicleType } from './common.js';
import { VehicleView } from './entities.js';

/** Fixes one `POST /api/locations` may carry (a phone batches what it took while suspended). */
export const MAX_FIXES_PER_BATCH = 100;

/** One fix taken by the phone; `ts` (ms since epoch) is when, by the phone's clock. */
export const LocationFix = LatLng.extend({
  heading: z.number().finite().min(0).max(360).optional(),
  speed: z.number().finite().min(0).max(100).optional(),
  /** Horizontal accuracy in metres (radius); fixes worse than 100 m are skipped. */
  accuracyM: z.number().finite().min(0).max(100_000).optional(),
  ts: z.number().int().positive(),
});
export type LocationFix = z.infer<typeof LocationFix>;

/** POST /api/locations (realtime service, driver token). */
export const LocationBatchBody = z.object({
  fixes: z.array(LocationFix).min(1).max(MAX_FIXES_PER_BATCH),
});
export type LocationBatchBody = z.infer<typeof LocationBatchBody>;

/** 202 answer: how many fixes were good and how many were skipped (stale, future, inaccurate). */
export const LocationBatchAccepted = z.object({
  accepted: z.number().int().min(0),
  skipped: z.number().int().min(0),
  /** Whether the newest good fix moved the driver: false when the driver is neither online nor on a ride. */
  applied: z.boolean(),
});
export type LocationBatchAccepted = z.infer<typeof LocationBatchAccepted>;

/** 201 answer of POST /api/rides/:id/share (auth service, the ride's customer). */
export const ShareLinkCreated = z.object({
  /** `${REALTIME_PUBLIC_URL}/track/${token}`: the page to send to family and friends. */
  url: z.string(),
  token: z.string(),
  expiresAt: IsoTimestamp,
});
export type ShareLinkCreated = z.infer<typeof ShareLinkCreated>;

/** A driver's position as the track view shows it; null fields when the position is unknown. */
export const TrackDriverView = z.object({
  name: z.string().nullable(),
  vehicle: VehicleView.nullable(),
  lat: z.number().nullable(),
  lng: z.number().nullable(),
  /** ms since epoch of that position; null when unknown. */
  ts: z.number().int().nullable(),
});
export type TrackDriverView = z.infer<typeof TrackDriverView>;

/** GET /api/track/:token (realtime service, no login: the token is the whole grant). */
export const TrackView = z.object({
  ride: z.object({
    status: RideStatus,
    vehicleType: VehicleType,
    pickup: Place,
    dropoff: Place,
  }),
  /** null until a driver is assigned. */
  driver: TrackDriverView.nullable(),
});
export type TrackView = z.infer<typeof TrackView>;

/**
 * GET /api/track/:token/events (text/event-stream). Events, each `event: <name>` with a JSON `data:` line:
 * `track` (the whole TrackView: first, and again when the ride's status or driver changes),
 * `location` (the driver moved), `ended` (the ride finished; the stream closes).
 */
export const TrackLocationEvent = z.object({ lat: z.number(), lng: z.number(), heading: z.number().nullable(), ts: z.number().int() });
export type TrackLocationEvent = z.infer<typeof TrackLocationEvent>;
export const TrackEndedEvent = z.object({ status: RideStatus });
export type TrackEndedEvent = z.infer<typeof TrackEndedEvent>;
export const TRACK_EVENT_NAMES = ['track', 'location', 'ended'] as const;
