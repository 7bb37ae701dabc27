/** The page's pure parts: projection, pan/zoom, hit-testing geometry, interpolation, statistics. */
import { describe, expect, it } from 'vitest';
import type { OpsSnapshot } from '@drivrr/shared/protocol';
import { describeEventData, FrameStats, formatDuration, formatMoney, OpsModel, percentiles } from '../src/model';
import { distanceToSegment, MapView } from '../src/view';

const KHI = { lat: 24.8607, lng: 67.0311 };
const D1 = '00000000-0000-4000-8000-000000000001';

function view(): MapView {
  return new MapView({ center: KHI, metresPerPx: 10, width: 800, height: 600 });
}

describe('MapView', () => {
  it('puts the centre in the middle and north up, about 1 km per 100 px at 10 m/px', () => {
    const v = view();
    expect(v.project(KHI)).toEqual({ x: 400, y: 300 });
    const north = v.project({ lat: KHI.lat + 1_000 / 110_574, lng: KHI.lng });
    expect(north.x).toBeCloseTo(400, 6);
    expect(north.y).toBeCloseTo(200, 6);
  });

  it('unprojects what it projects', () => {
    const v = view();
    const p = { lat: 24.9, lng: 67.1 };
    const back = v.unproject(v.project(p));
    expect(back.lat).toBeCloseTo(p.lat, 9);
    expect(back.lng).toBeCloseTo(p.lng, 9);
  });

  it('pans so that what was under the pointer follows it', () => {
    const v = view();
    const grabbed = v.unproject({ x: 100, y: 100 });
    v.panBy(50, -30);
    const now = v.project(grabbed);
    expect(now.x).toBeCloseTo(150, 6);
    expect(now.y).toBeCloseTo(70, 6);
  });

  it('zooms around the anchor, keeping the point under it in place, within limits', () => {
    const v = view();
    const anchor = { x: 600, y: 150 };
    const under = v.unproject(anchor);
    v.zoomAt(anchor, 2);
    expect(v.metresPerPx).toBe(5);
    const after = v.project(under);
    expect(after.x).toBeCloseTo(600, 6);
    expect(after.y).toBeCloseTo(150, 6);
    for (let i = 0; i < 50; i += 1) v.zoomAt(anchor, 10);
    expect(v.metresPerPx).toBe(0.5);
  });

  it('fits a set of points inside the canvas with padding', () => {
    const v = view();
    const points = [
      { lat: 24.8, lng: 66.97 },
      { lat: 24.95, lng: 67.15 },
    ];
    v.fit(points, 40);
    for (const p of points) {
      const px = v.project(p);
      expect(px.x).toBeGreaterThanOrEqual(39.9);
      expect(px.x).toBeLessThanOrEqual(760.1);
      expect(px.y).toBeGreaterThanOrEqual(39.9);
      expect(px.y).toBeLessThanOrEqual(560.1);
    }
  });

  it('measures the distance from a click to a line segment', () => {
    expect(distanceToSegment({ x: 5, y: 5 }, { x: 0, y: 0 }, { x: 10, y: 0 })).toBe(5);
    expect(distanceToSegment({ x: -3, y: 4 }, { x: 0, y: 0 }, { x: 10, y: 0 })).toBe(5);
    expect(distanceToSegment({ x: 3, y: 4 }, { x: 0, y: 0 }, { x: 0, y: 0 })).toBe(5);
  });
});

function snapshot(seq: number, lat: number, status: 'idle' | 'offered' | 'on_ride' = 'idle', updatedAt = seq * 1_000): OpsSnapshot {
  return {
    seq,
    at: new Date(0).toISOString(),
    intervalMs: 250,
    full: true,
    drivers: [{ id: D1, lat, lng: 67.0, heading: null, status, vehicleType: 'car', updatedAt }],
    removedDriverIds: [],
    requests: [],
    rides: [],
    counters: {
      driversOnline: 1,
      driversIdle: status === 'idle' ? 1 : 0,
      driversOffered: status === 'offered' ? 1 : 0,
      driversOnRide: status === 'on_ride' ? 1 : 0,
      requestsOpen: 0,
      ridesByStatus: { requested: 0, assigned: 0, arrived: 0, in_progress: 0, completed: 0, cancelled: 0, expired: 0 },
      medianAssignS: null,
      countedAt: new Date(0).toISOString(),
    },
  };
}

describe('OpsModel', () => {
  it('glides a driver to its new fix over the time between its fixes', () => {
    const model = new OpsModel();
    model.apply(snapshot(1, 24.0), 0);
    model.apply(snapshot(2, 25.0), 1_000); // fixes 1 s apart
    const track = model.drivers.get(D1)!;
    expect(model.positionOf(track, 1_000).lat).toBeCloseTo(24.0);
    expect(model.positionOf(track, 1_500).lat).toBeCloseTo(24.5);
    expect(model.positionOf(track, 2_000).lat).toBeCloseTo(25.0);
    expect(model.positionOf(track, 9_999).lat).toBeCloseTo(25.0);
  });

  it('glides at least one snapshot interval and at most 1.5 s', () => {
    const model = new OpsModel();
    model.apply(snapshot(1, 24.0, 'idle', 0), 0);
    model.apply(snapshot(2, 25.0, 'idle', 10), 100); // fixes 10 ms apart
    expect(model.drivers.get(D1)!.durationMs).toBe(250);
    model.apply(snapshot(3, 26.0, 'idle', 60_000), 200); // a minute of silence
    expect(model.drivers.get(D1)!.durationMs).toBe(1_500);
  });

  it('keeps gliding through snapshots that repeat the same fix', () => {
    const model = new OpsModel();
    model.apply(snapshot(1, 24.0, 'idle', 0), 0);
    model.apply(snapshot(2, 25.0, 'idle', 1_000), 1_000);
    model.apply(snapshot(3, 25.0, 'idle', 1_000), 1_250); // same fix
    const track = model.drivers.get(D1)!;
    expect(track.startedAt).toBe(1_000);
    expect(model.positionOf(track, 1_500).lat).toBeCloseTo(24.5);
  });

  it('starts the next glide from the drawn position, never jumping back', () => {
    const model = new OpsModel();
    model.apply(snapshot(1, 24.0), 0);
    model.apply(snapshot(2, 25.0), 1_000);
    model.apply(snapshot(3, 26.0), 1_500); // mid-glide, at 24.5
    expect(model.drivers.get(D1)!.from.lat).toBeCloseTo(24.5);
  });

  it('lets a whole snapshot replace the picture, forgetting drivers that went offline', () => {
    const model = new OpsModel();
    expect(model.apply(snapshot(5, 24.0, 'offered'), 0)).toBe(true);
    expect(model.apply({ ...snapshot(6, 0), drivers: [] }, 20)).toBe(true);
    expect(model.drivers.size).toBe(0);
    // A restarted service counts from 1 again.
    expect(model.apply(snapshot(1, 24.5), 30)).toBe(true);
    expect(model.drivers.get(D1)!.to.lat).toBe(24.5);
  });

  it('applies a delta on the snapshot just before it: moved drivers move, others stay, removed go', () => {
    const D2 = '00000000-0000-4000-8000-000000000002';
    const model = new OpsModel();
    const first = snapshot(1, 24.0);
    model.apply({ ...first, drivers: [...first.drivers, { ...first.drivers[0]!, id: D2, lat: 25.0 }] }, 0);
    expect(model.apply({ ...snapshot(2, 24.1), full: false }, 100)).toBe(true);
    expect(model.drivers.get(D1)!.to.lat).toBe(24.1);
    expect(model.drivers.get(D2)!.to.lat).toBe(25.0); // not in the delta: unchanged, still there
    expect(model.apply({ ...snapshot(3, 24.1), full: false, drivers: [], removedDriverIds: [D2] }, 200)).toBe(true);
    expect([...model.drivers.keys()]).toEqual([D1]);
  });

  it('ignores a delta that does not follow the picture it holds, and asks for a whole one', () => {
    const model = new OpsModel();
    model.apply(snapshot(1, 24.0), 0);
    expect(model.apply({ ...snapshot(3, 26.0), full: false }, 100)).toBe(false);
    expect(model.needsFullSnapshot).toBe(true);
    expect(model.drivers.get(D1)!.to.lat).toBe(24.0);
    expect(model.apply(snapshot(4, 26.0), 200)).toBe(true);
    expect(model.needsFullSnapshot).toBe(false);
  });
});

describe('formatting and statistics', () => {
  it('shows money in major units and durations in people words', () => {
    expect(formatMoney(45_000, 'PKR')).toBe('Rs 450');
    expect(formatMoney(45_050, 'USD')).toBe('450.50 USD');
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(42.4)).toBe('42 s');
    expect(formatDuration(185)).toBe('3 min 5 s');
  });

  it('summarises frame times as percentiles', () => {
    const p = percentiles(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(p).toMatchObject({ n: 100, p50: 51, p95: 96, p99: 100, max: 100, mean: 50.5 });
    const stats = new FrameStats(10);
    for (let i = 0; i < 20; i += 1) stats.record(i * 16, 2);
    expect(stats.summary()).toMatchObject({ frames: 20, frameMs: { n: 10, p50: 16 }, drawMs: { n: 10, max: 2 } });
  });
});

describe('describeEventData', () => {
  it('reads fares, raises, reasons and searches for people, leaving ids out', () => {
    expect(describeEventData({ bidId: 'x', fare: 65_000, offer: 'counter' }, 'PKR')).toBe('Rs 650 (counter-offer)');
    expect(describeEventData({ from: 30_000, to: 35_000 }, 'PKR')).toBe('Rs 300 → Rs 350');
    expect(describeEventData({ reason: 'changed_plans', rejectedBids: ['a', 'b'] }, 'PKR')).toBe('“changed plans” · 2 other bids rejected');
    expect(describeEventData({ radiusM: 1500, drivers: [{}, {}, {}] }, 'PKR')).toBe('3 drivers within 1.5 km');
    expect(describeEventData({ driverId: 'd', bidId: 'b' }, 'PKR')).toBe('');
  });
});
