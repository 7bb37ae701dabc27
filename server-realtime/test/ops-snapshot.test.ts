/** The pure parts of the ops channel: snapshot aggregation and the pacing that throttles it. */
import { describe, expect, it } from 'vitest';
import { OpsSnapshot } from '@drivrr/shared/protocol';
import { emptyRidesByStatus, type OpsBoard } from '../src/db/ops.js';
import { SnapshotPacer } from '../src/ops/pacer.js';
import { boardFingerprint, buildOpsSnapshot, deltaSnapshot, driversById, driverStatus } from '../src/ops/snapshot.js';
import type { DriverPresenceInfo } from '../src/ws/contracts.js';

const D1 = '00000000-0000-4000-8000-000000000001';
const D2 = '00000000-0000-4000-8000-000000000002';
const D3 = '00000000-0000-4000-8000-000000000003';
const R1 = '00000000-0000-4000-8000-0000000000a1';
const R2 = '00000000-0000-4000-8000-0000000000a2';

function driver(id: string, activity: DriverPresenceInfo['activity'] = 'idle', lat = 24.8607123456, vehicleType: DriverPresenceInfo['vehicleType'] = 'car'): DriverPresenceInfo {
  return { driverId: id, location: { lat, lng: 67.0011987654 }, heading: 91.6, activity, vehicleType, updatedAt: 1_700_000_000_000 };
}

function board(partial: Partial<OpsBoard> = {}): OpsBoard {
  return {
    requests: [],
    rides: [],
    ridesByStatus: emptyRidesByStatus(),
    medianAssignS: null,
    biddingDriverIds: [],
    countedAt: '2026-11-24T10:00:00.000Z',
    ...partial,
  };
}

describe('driverStatus', () => {
  it('marks a driver on a ride when presence says so or the database has an active ride for it', () => {
    expect(driverStatus(driver(D1, 'on_ride'), new Set(), new Set())).toBe('on_ride');
    expect(driverStatus(driver(D1), new Set([D1]), new Set([D1]))).toBe('on_ride');
  });
  it('marks a driver holding an open bid as offered, any other online driver as idle', () => {
    expect(driverStatus(driver(D1), new Set(), new Set([D1]))).toBe('offered');
    expect(driverStatus(driver(D2), new Set(), new Set([D1]))).toBe('idle');
  });
});

describe('buildOpsSnapshot', () => {
  const ridesByStatus = { ...emptyRidesByStatus(), requested: 1, assigned: 1, completed: 7, cancelled: 2 };
  const input = {
    drivers: [driver(D1), driver(D2, 'idle', 24.8607123456, 'bike'), driver(D3, 'idle', 24.8607123456, 'rickshaw')],
    board: board({
      ridesByStatus,
      medianAssignS: 42.5,
      biddingDriverIds: [D2],
      requests: [
        { rideId: R1, vehicleType: 'car', pickup: { lat: 24.86, lng: 67.0 }, dropoff: { lat: 24.9, lng: 67.1 }, fare: 45_000, currency: 'PKR', openBids: 1, totalBids: 1, bestBid: 47_000, createdAt: '2026-11-24T10:00:00.000Z', expiresAt: '2026-11-24T10:03:00.000Z' },
      ],
      rides: [
        { rideId: R2, status: 'assigned', vehicleType: 'rickshaw', driverId: D3, pickup: { lat: 24.86, lng: 67.0 }, dropoff: { lat: 24.9, lng: 67.1 }, agreedFare: 50_000, currency: 'PKR', assignedAt: '2026-11-24T10:00:20.000Z' },
      ],
    }),
    seq: 7,
    now: Date.parse('2026-11-24T10:00:01.000Z'),
    intervalMs: 250,
    maxDrivers: 100,
  };

  it('counts drivers by status from presence and rides from the board, and matches the schema', () => {
    const snapshot = buildOpsSnapshot(input);
    expect(OpsSnapshot.parse(snapshot)).toEqual(snapshot);
    expect(snapshot.counters).toMatchObject({ driversOnline: 3, driversIdle: 1, driversOffered: 1, driversOnRide: 1, requestsOpen: 1, medianAssignS: 42.5 });
    expect(snapshot.counters.ridesByStatus).toEqual(ridesByStatus);
    expect(snapshot.drivers.map((d) => [d.id, d.status, d.vehicleType])).toEqual([
      [D1, 'idle', 'car'],
      [D2, 'offered', 'bike'],
      [D3, 'on_ride', 'rickshaw'],
    ]);
    expect(snapshot.requests[0]?.vehicleType).toBe('car');
    expect(snapshot.rides[0]?.vehicleType).toBe('rickshaw');
    expect(snapshot).toMatchObject({ seq: 7, at: '2026-11-24T10:00:01.000Z', intervalMs: 250 });
  });

  it('rounds positions to 6 decimals and headings to whole degrees', () => {
    const [first] = buildOpsSnapshot(input).drivers;
    expect(first).toMatchObject({ lat: 24.860712, lng: 67.001199, heading: 92 });
  });

  it('lists at most maxDrivers drivers but still counts them all', () => {
    const many = Array.from({ length: 50 }, (_, i) => driver(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`));
    const snapshot = buildOpsSnapshot({ ...input, drivers: many, maxDrivers: 10 });
    expect(snapshot.drivers).toHaveLength(10);
    expect(snapshot.counters.driversOnline).toBe(50);
  });

  it('carries no phone number or token, whatever the inputs hold', () => {
    const text = JSON.stringify(buildOpsSnapshot(input));
    expect(text).not.toMatch(/\+92\d{6,}/);
    expect(text).not.toMatch(/phone|token/i);
  });
});

describe('deltaSnapshot', () => {
  const base = { board: board(), seq: 1, now: 0, intervalMs: 250, maxDrivers: 100 };

  it('carries only the drivers that appeared or changed, and the ids of those gone', () => {
    const before = buildOpsSnapshot({ ...base, drivers: [driver(D1), driver(D2), driver(D3)] });
    const after = buildOpsSnapshot({ ...base, seq: 2, drivers: [driver(D1), driver(D2, 'idle', 24.87), driver('00000000-0000-4000-8000-000000000004')] });
    const delta = deltaSnapshot(driversById(before), after);
    expect(OpsSnapshot.parse(delta)).toEqual(delta);
    expect(delta).toMatchObject({ seq: 2, full: false, removedDriverIds: [D3] });
    expect(delta.drivers.map((d) => d.id)).toEqual([D2, '00000000-0000-4000-8000-000000000004']);
    expect(delta.counters).toEqual(after.counters);
  });

  it('reports a status change even when the driver did not move', () => {
    const before = buildOpsSnapshot({ ...base, drivers: [driver(D1)] });
    const after = buildOpsSnapshot({ ...base, seq: 2, drivers: [driver(D1, 'on_ride')] });
    expect(deltaSnapshot(driversById(before), after).drivers).toEqual([expect.objectContaining({ id: D1, status: 'on_ride' })]);
  });

  it('is far smaller than the whole picture when few of many drivers moved', () => {
    const many = Array.from({ length: 500 }, (_, i) => driver(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`));
    const before = buildOpsSnapshot({ ...base, maxDrivers: 1_000, drivers: many });
    const moved = many.map((d, i) => (i % 4 === 0 ? { ...d, location: { lat: d.location.lat + 0.001, lng: d.location.lng } } : d));
    const after = buildOpsSnapshot({ ...base, maxDrivers: 1_000, seq: 2, drivers: moved });
    const delta = deltaSnapshot(driversById(before), after);
    expect(delta.drivers).toHaveLength(125);
    expect(JSON.stringify(delta).length).toBeLessThan(JSON.stringify(after).length / 3);
  });
});

describe('boardFingerprint', () => {
  it('ignores the read time and the order of bidding drivers, but not the content', () => {
    const a = board({ biddingDriverIds: [D1, D2] });
    const b = board({ biddingDriverIds: [D2, D1], countedAt: '2026-11-24T11:00:00.000Z' });
    expect(boardFingerprint(a)).toBe(boardFingerprint(b));
    expect(boardFingerprint(board({ ridesByStatus: { ...emptyRidesByStatus(), requested: 1 } }))).not.toBe(boardFingerprint(a));
  });
});

describe('SnapshotPacer', () => {
  it('emits at most once per interval however many changes arrive', () => {
    const pacer = new SnapshotPacer({ intervalMs: 250, keepaliveMs: 2_000 });
    let emitted = 0;
    // 5,000 fixes a second for 2 s, the timer asking every 10 ms.
    for (let t = 0; t < 2_000; t += 1) {
      for (let k = 0; k < 5; k += 1) pacer.markDirty();
      if (t % 10 === 0 && pacer.shouldEmit(t)) emitted += 1;
    }
    expect(emitted).toBe(8);
  });

  it('stays quiet while nothing changes, except for a keepalive', () => {
    const pacer = new SnapshotPacer({ intervalMs: 250, keepaliveMs: 2_000 });
    expect(pacer.shouldEmit(0)).toBe(true); // the first picture
    const times = [250, 500, 1_000, 1_999].filter((t) => pacer.shouldEmit(t));
    expect(times).toEqual([]);
    expect(pacer.shouldEmit(2_000)).toBe(true); // keepalive
    pacer.markDirty();
    expect(pacer.shouldEmit(2_100)).toBe(false); // too soon after the last
    expect(pacer.shouldEmit(2_250)).toBe(true);
  });

  it('refuses a keepalive shorter than the interval', () => {
    expect(() => new SnapshotPacer({ intervalMs: 500, keepaliveMs: 100 })).toThrow(RangeError);
  });
});
