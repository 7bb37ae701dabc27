import { describe, expect, it } from 'vitest';
import { KARACHI_CENTER, distanceM } from '@drivrr/shared';
import { advanceAlongPath, createRng, cruiseSpeedMps, nextWalkWaypoint, pathLengthM, planGridRoute, randomPointInArea, snapToAxis } from '@drivrr/simulators';

const area = { center: KARACHI_CENTER, radiusM: 3000 };

describe('driving along a path', () => {
  it('moves exactly the given distance along the legs and drops reached waypoints', () => {
    const start = KARACHI_CENTER;
    const route = planGridRoute(start, { lat: start.lat + 0.01, lng: start.lng + 0.01 }, createRng(1));
    const total = pathLengthM(start, route);
    const halfway = advanceAlongPath({ position: start, heading: 0, waypoints: route }, total / 2);
    expect(halfway.arrived).toBe(false);
    expect(pathLengthM(halfway.position, halfway.waypoints)).toBeCloseTo(total / 2, -1);
    const end = advanceAlongPath(halfway, total);
    expect(end.arrived).toBe(true);
    expect(distanceM(end.position, route[route.length - 1]!)).toBeLessThan(1);
  });

  it('plans grid routes of north-south and east-west legs that end at the target', () => {
    const rng = createRng(5);
    for (let i = 0; i < 50; i += 1) {
      const from = randomPointInArea(area, rng);
      const to = randomPointInArea(area, rng);
      const route = planGridRoute(from, to, rng);
      expect(distanceM(route[route.length - 1]!, to)).toBeLessThan(0.01);
      let at = from;
      for (const point of route) {
        // Each leg changes only latitude or only longitude.
        const sameLat = Math.abs(point.lat - at.lat) < 1e-9;
        const sameLng = Math.abs(point.lng - at.lng) < 1e-9;
        expect(sameLat || sameLng).toBe(true);
        at = point;
      }
      // A Manhattan route is never shorter than the straight line, and not absurdly longer.
      expect(pathLengthM(from, route)).toBeGreaterThanOrEqual(distanceM(from, to) - 1);
      expect(pathLengthM(from, route)).toBeLessThanOrEqual(distanceM(from, to) * 1.5 + 1);
    }
  });

  it('keeps a random walk inside the area', () => {
    const rng = createRng(9);
    let position = randomPointInArea(area, rng);
    let heading = 0;
    for (let i = 0; i < 2000; i += 1) {
      const next = nextWalkWaypoint(position, heading, area, rng);
      expect(distanceM(area.center, next)).toBeLessThan(area.radiusM + 400);
      heading = snapToAxis(Math.atan2(next.lng - position.lng, next.lat - position.lat) * (180 / Math.PI));
      position = next;
    }
  });

  it('drives at city speeds', () => {
    const rng = createRng(3);
    for (let i = 0; i < 500; i += 1) {
      const kmh = cruiseSpeedMps(rng) * 3.6;
      expect(kmh).toBeGreaterThanOrEqual(12);
      expect(kmh).toBeLessThanOrEqual(45);
    }
  });

  it('places random points inside the disc', () => {
    const rng = createRng(4);
    for (let i = 0; i < 500; i += 1) expect(distanceM(area.center, randomPointInArea(area, rng))).toBeLessThanOrEqual(area.radiusM + 0.5);
  });
});
