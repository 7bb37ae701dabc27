import { distanceM } from '@drivrr/shared/geo';
import { describe, expect, it } from 'vitest';
import { SpatialGrid } from '../../src/presence/spatial-index.js';
import { createRng } from '@drivrr/shared/random';

interface Point {
  id: string;
  lat: number;
  lng: number;
  idle: boolean;
}

function bruteNearest(points: Map<string, Point>, q: { lat: number; lng: number }, radiusM: number, limit: number, idleOnly: boolean) {
  return [...points.values()]
    .filter((p) => !idleOnly || p.idle)
    .map((p) => ({ id: p.id, d: distanceM(q, p) }))
    .filter((x) => x.d <= radiusM)
    .sort((a, b) => a.d - b.d)
    .slice(0, limit);
}

describe('SpatialGrid against a brute-force reference', () => {
  for (const area of [
    { name: 'a city (Karachi, 30 km square)', lat: 24.86, lng: 67.0, spanDeg: 0.3, radii: [500, 1_500, 3_000, 5_000, 20_000] },
    { name: 'a high-latitude town (Tromsø), where longitude cells are narrow', lat: 69.65, lng: 18.96, spanDeg: 0.2, radii: [300, 2_000, 8_000] },
    { name: 'points straddling the equator and the prime meridian', lat: 0, lng: 0, spanDeg: 0.1, radii: [1_000, 4_000] },
  ]) {
    it(`answers nearest-N and within-radius exactly like a full scan in ${area.name}, through moves and removals`, () => {
      const random = createRng(42).next;
      const grid = new SpatialGrid<Point>();
      const points = new Map<string, Point>();
      const place = (p: Point) => {
        points.set(p.id, p);
        grid.set(p.id, p.lat, p.lng, p);
      };
      const randomPoint = () => ({ lat: area.lat + (random() - 0.5) * area.spanDeg, lng: area.lng + (random() - 0.5) * area.spanDeg });
      for (let i = 0; i < 3_000; i++) place({ id: `d${i}`, ...randomPoint(), idle: random() < 0.7 });

      for (let round = 0; round < 200; round++) {
        // Drivers move (mostly a little, sometimes across the area), some leave, some arrive.
        for (let m = 0; m < 50; m++) {
          const id = `d${Math.floor(random() * 3_000)}`;
          const p = points.get(id);
          if (!p) continue;
          const far = random() < 0.2;
          place({ ...p, ...(far ? randomPoint() : { lat: p.lat + (random() - 0.5) * 0.002, lng: p.lng + (random() - 0.5) * 0.002 }), idle: random() < 0.7 });
        }
        const leaving = `d${Math.floor(random() * 3_000)}`;
        points.delete(leaving);
        grid.delete(leaving);
        if (random() < 0.5) place({ id: `d${Math.floor(random() * 3_000)}`, ...randomPoint(), idle: true });

        const q = randomPoint();
        const radius = area.radii[round % area.radii.length]!;
        const limit = 1 + Math.floor(random() * 15);
        const got = grid.nearest(q, radius, limit, (p) => p.value.idle).map((n) => ({ id: n.point.id, d: n.distanceM }));
        const want = bruteNearest(points, q, radius, limit, true);
        expect(got.map((g) => g.d)).toEqual(want.map((w) => w.d));
        expect(new Set(got.map((g) => g.id))).toEqual(new Set(want.map((w) => w.id)));

        const within = grid.within(q, radius).map((n) => n.point.id).sort();
        expect(within).toEqual(bruteNearest(points, q, radius, Number.MAX_SAFE_INTEGER, false).map((w) => w.id).sort());
      }
      expect(grid.size).toBe(points.size);
    });
  }

  it('returns nothing for an empty index, a zero limit, or no point in range', () => {
    const grid = new SpatialGrid<null>();
    expect(grid.nearest({ lat: 1, lng: 1 }, 1_000, 5)).toEqual([]);
    grid.set('a', 1, 1, null);
    expect(grid.nearest({ lat: 1, lng: 1 }, 1_000, 0)).toEqual([]);
    expect(grid.nearest({ lat: 2, lng: 2 }, 1_000, 5)).toEqual([]);
    expect(grid.nearest({ lat: 1, lng: 1 }, 1_000, 5).map((n) => n.point.id)).toEqual(['a']);
  });
});
