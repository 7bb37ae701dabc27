/**
 * What the page knows: the latest `ops.snapshot`, plus, for each driver, where it was drawn when
 * the snapshot arrived, so movement glides over the snapshot interval instead of jumping 4 times
 * a second. Pure (time is passed in), tested in ops-map/test/model.test.ts.
 */
import type { OpsCounters, OpsDriver, OpsDriverStatus, OpsRequest, OpsRide, OpsSnapshot, VehicleType } from '@drivrr/shared/protocol';
import type { LatLng } from './view';

export interface DriverTrack {
  id: string;
  status: OpsDriverStatus;
  /** Drawn as a shape of its own (render.ts VEHICLE_SHAPES); the colour stays the status. */
  vehicleType: VehicleType;
  heading: number | null;
  from: LatLng;
  to: LatLng;
  /** ms (page clock) when the move from `from` to `to` began, and how long it lasts. */
  startedAt: number;
  durationMs: number;
  /** The server's time of the fix being shown (ms), to tell a new fix from a repeated one. */
  reportedAt: number;
}

/** A glide never lasts longer than this, so a driver that reports rarely still arrives soon. */
export const MAX_GLIDE_MS = 1_500;

export class OpsModel {
  readonly drivers = new Map<string, DriverTrack>();
  requests: OpsRequest[] = [];
  rides: OpsRide[] = [];
  counters: OpsCounters | undefined;
  seq = -1;
  intervalMs = 250;
  lastSnapshotAt: number | undefined;

  /** Set when a delta arrived that does not follow the picture held: ask for a whole one. */
  needsFullSnapshot = false;

  /**
   * Applies a snapshot received at `now` (page clock, ms). A whole snapshot always replaces the
   * picture (frames on one socket arrive in order, and a restarted service counts from 1 again);
   * a delta applies only on top of the snapshot just before it, else it is ignored and
   * `needsFullSnapshot` is set.
   */
  apply(snapshot: OpsSnapshot, now: number): boolean {
    if (!snapshot.full && snapshot.seq !== this.seq + 1) {
      this.needsFullSnapshot = true;
      return false;
    }
    this.needsFullSnapshot = false;
    this.seq = snapshot.seq;
    this.intervalMs = snapshot.intervalMs;
    this.lastSnapshotAt = now;
    const seen = new Set<string>();
    for (const d of snapshot.drivers) {
      seen.add(d.id);
      this.upsertDriver(d, now);
    }
    if (snapshot.full) {
      for (const id of this.drivers.keys()) if (!seen.has(id)) this.drivers.delete(id);
    } else {
      for (const id of snapshot.removedDriverIds) this.drivers.delete(id);
    }
    this.requests = snapshot.requests;
    this.rides = snapshot.rides;
    this.counters = snapshot.counters;
    return true;
  }

  private upsertDriver(d: OpsDriver, now: number): void {
    const target = { lat: d.lat, lng: d.lng };
    const track = this.drivers.get(d.id);
    if (!track) {
      this.drivers.set(d.id, { id: d.id, status: d.status, vehicleType: d.vehicleType, heading: d.heading, from: target, to: target, startedAt: now, durationMs: 0, reportedAt: d.updatedAt });
      return;
    }
    track.status = d.status;
    track.vehicleType = d.vehicleType;
    track.heading = d.heading;
    // The same fix again (another driver moved): let the current glide go on.
    if (d.updatedAt === track.reportedAt && target.lat === track.to.lat && target.lng === track.to.lng) return;
    // A new fix: glide from where the driver is drawn now (never jumping back) over about the
    // time between its fixes, so a driver reporting every second moves all the time, not in hops.
    const sinceLastFix = d.updatedAt - track.reportedAt;
    track.from = this.positionOf(track, now);
    track.to = target;
    track.startedAt = now;
    track.durationMs = Math.min(MAX_GLIDE_MS, Math.max(this.intervalMs, Number.isFinite(sinceLastFix) ? sinceLastFix : 0));
    track.reportedAt = d.updatedAt;
  }

  /** Where a driver is drawn at `now`: linear from where it was drawn to its latest fix. */
  positionOf(track: DriverTrack, now: number): LatLng {
    const t = Math.min(1, Math.max(0, (now - track.startedAt) / Math.max(1, track.durationMs)));
    return { lat: track.from.lat + (track.to.lat - track.from.lat) * t, lng: track.from.lng + (track.to.lng - track.from.lng) * t };
  }

  /** Where a ride's driver is now (its line starts there); undefined when the driver is offline. */
  driverPositionForRide(ride: OpsRide, now: number): LatLng | undefined {
    const track = this.drivers.get(ride.driverId);
    return track ? this.positionOf(track, now) : undefined;
  }

  findRide(rideId: string): OpsRide | OpsRequest | undefined {
    return this.rides.find((r) => r.rideId === rideId) ?? this.requests.find((r) => r.rideId === rideId);
  }
}

/** Money in minor units as people read it: 45000 PKR -> "Rs 450". */
export function formatMoney(minor: number, currency: string): string {
  const major = minor / 100;
  const text = Number.isInteger(major) ? String(major) : major.toFixed(2);
  return currency === 'PKR' ? `Rs ${text}` : `${text} ${currency}`;
}

/** Seconds as "42 s" or "3 min 5 s". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return s === 0 ? `${m} min` : `${m} min ${s} s`;
}

/** Frame-time statistics over the last frames (rAF timestamps), for the 500-driver measurement. */
export class FrameStats {
  private readonly deltas: number[] = [];
  private readonly drawCosts: number[] = [];
  private last: number | undefined;
  frames = 0;

  constructor(private readonly capacity = 600) {}

  record(rafTimestamp: number, drawCostMs: number): void {
    if (this.last !== undefined) push(this.deltas, rafTimestamp - this.last, this.capacity);
    push(this.drawCosts, drawCostMs, this.capacity);
    this.last = rafTimestamp;
    this.frames += 1;
  }

  reset(): void {
    this.deltas.length = 0;
    this.drawCosts.length = 0;
    this.last = undefined;
    this.frames = 0;
  }

  summary(): { frames: number; frameMs: Percentiles; drawMs: Percentiles } {
    return { frames: this.frames, frameMs: percentiles(this.deltas), drawMs: percentiles(this.drawCosts) };
  }
}

export interface Percentiles {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function push(values: number[], value: number, capacity: number): void {
  values.push(value);
  if (values.length > capacity) values.shift();
}

export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { n: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    n: sorted.length,
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted[sorted.length - 1] as number),
  };
}

/**
 * A short human reading of a timeline event's data (fares, reasons, search radius); ids are left
 * out (the panel is for people). Unknown fields are ignored.
 */
export function describeEventData(data: Record<string, unknown>, currency: string): string {
  const parts: string[] = [];
  const money = (v: unknown) => (typeof v === 'number' ? formatMoney(v, currency) : undefined);
  if (typeof data.radiusM === 'number') {
    const drivers = Array.isArray(data.drivers) ? data.drivers.length : undefined;
    parts.push(`${drivers ?? '?'} driver${drivers === 1 ? '' : 's'} within ${(data.radiusM / 1000).toFixed(1)} km`);
  }
  if (money(data.from) && money(data.to)) parts.push(`${money(data.from)} → ${money(data.to)}`);
  if (money(data.fare)) parts.push(`${money(data.fare)}${data.offer === 'counter' ? ' (counter-offer)' : data.offer === 'as_offered' ? ' (as asked)' : ''}`);
  if (typeof data.reason === 'string') parts.push(`“${data.reason.replace(/_/g, ' ')}”`);
  if (Array.isArray(data.rejectedBids) && data.rejectedBids.length > 0) parts.push(`${data.rejectedBids.length} other bid${data.rejectedBids.length === 1 ? '' : 's'} rejected`);
  return parts.join(' · ');
}
