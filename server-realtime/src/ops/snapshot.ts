/**
 * Pure: builds the operators' picture (`ops.snapshot`) from driver presence (memory) and the
 * board read from the database. No I/O, no clock: the caller passes `now`.
 */
import type { OpsCounters, OpsDriver, OpsDriverStatus, OpsSnapshot } from '@drivrr/shared/protocol';
import type { OpsBoard } from '../db/ops.js';
import type { DriverPresenceInfo } from '../ws/contracts.js';

export interface SnapshotInput {
  drivers: Iterable<DriverPresenceInfo>;
  board: OpsBoard;
  seq: number;
  now: number;
  intervalMs: number;
  /** At most this many drivers are listed; the counters count them all. */
  maxDrivers: number;
}

/** 6 decimals of a degree is about 0.1 m: plenty for a map, and shorter JSON. */
function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * A driver's status on the map: on a ride when presence or the database says so (the database
 * wins over a presence update that has not arrived yet), offered while holding an open bid, else idle.
 */
export function driverStatus(info: DriverPresenceInfo, onRide: ReadonlySet<string>, bidding: ReadonlySet<string>): OpsDriverStatus {
  if (info.activity === 'on_ride' || onRide.has(info.driverId)) return 'on_ride';
  if (bidding.has(info.driverId)) return 'offered';
  return 'idle';
}

export function buildOpsSnapshot(input: SnapshotInput): OpsSnapshot {
  const { board } = input;
  const onRide = new Set(board.rides.map((ride) => ride.driverId));
  const bidding = new Set(board.biddingDriverIds);
  const drivers: OpsDriver[] = [];
  const counts: Record<OpsDriverStatus, number> = { idle: 0, offered: 0, on_ride: 0 };
  for (const info of input.drivers) {
    const status = driverStatus(info, onRide, bidding);
    counts[status] += 1;
    if (drivers.length < input.maxDrivers) {
      drivers.push({
        id: info.driverId,
        lat: round6(info.location.lat),
        lng: round6(info.location.lng),
        heading: info.heading === null ? null : Math.round(info.heading),
        status,
        vehicleType: info.vehicleType,
        updatedAt: info.updatedAt,
      });
    }
  }
  const counters: OpsCounters = {
    driversOnline: counts.idle + counts.offered + counts.on_ride,
    driversIdle: counts.idle,
    driversOffered: counts.offered,
    driversOnRide: counts.on_ride,
    requestsOpen: board.ridesByStatus.requested,
    ridesByStatus: { ...board.ridesByStatus },
    medianAssignS: board.medianAssignS,
    countedAt: board.countedAt,
  };
  return {
    seq: input.seq,
    at: new Date(input.now).toISOString(),
    intervalMs: input.intervalMs,
    full: true,
    drivers,
    removedDriverIds: [],
    requests: board.requests,
    rides: board.rides,
    counters,
  };
}

/** A fingerprint of the board's content (not its read time): a new read that changed nothing sends nothing. */
export function boardFingerprint(board: OpsBoard): string {
  return JSON.stringify([board.requests, board.rides, board.ridesByStatus, board.medianAssignS, [...board.biddingDriverIds].sort()]);
}

/**
 * The delta of a full snapshot on the previous one's drivers: the drivers that appeared or whose
 * position, heading or status changed, and the ids of those gone. Everything else stays whole.
 */
export function deltaSnapshot(previousDrivers: ReadonlyMap<string, OpsDriver>, full: OpsSnapshot): OpsSnapshot {
  const changed: OpsDriver[] = [];
  const present = new Set<string>();
  for (const d of full.drivers) {
    present.add(d.id);
    const before = previousDrivers.get(d.id);
    if (!before || before.lat !== d.lat || before.lng !== d.lng || before.heading !== d.heading || before.status !== d.status || before.vehicleType !== d.vehicleType) changed.push(d);
  }
  const removed: string[] = [];
  for (const id of previousDrivers.keys()) if (!present.has(id)) removed.push(id);
  return { ...full, full: false, drivers: changed, removedDriverIds: removed };
}

export function driversById(snapshot: OpsSnapshot): Map<string, OpsDriver> {
  return new Map(snapshot.drivers.map((d) => [d.id, d]));
}
