/**
 * How simulated drivers move, as pure functions: a street-grid-ish world where cars drive along
 * north-south and east-west blocks, turn at corners, stay inside the fleet's area, and follow
 * Manhattan-style routes with a few jogs to a target. Positions advance by speed x elapsed time
 * along a list of waypoints, so a fix every N seconds lands where a car at that speed would be.
 */
import { bearingDeg, distanceM, moveM } from '@drivrr/shared';
import type { LatLng } from '@drivrr/shared/protocol';
import type { Rng } from './rng.js';

export interface Area {
  center: LatLng;
  radiusM: number;
}

export interface PathState {
  position: LatLng;
  /** Degrees [0, 360): the direction of travel. */
  heading: number;
  /** Waypoints still ahead, in order. */
  waypoints: LatLng[];
}

/** A uniformly random point in the disc of the area. */
export function randomPointInArea(area: Area, rng: Rng): LatLng {
  const r = area.radiusM * Math.sqrt(rng.next());
  return moveM(area.center, rng.float(0, 360), r);
}

/** A point within `radiusM` of `point`, uniformly in the disc. */
export function pointNear(point: LatLng, radiusM: number, rng: Rng): LatLng {
  return moveM(point, rng.float(0, 360), radiusM * Math.sqrt(rng.next()));
}

/** City driving speed in m/s: around 25 km/h, between 12 and 45 km/h. */
export function cruiseSpeedMps(rng: Rng): number {
  const kmh = Math.min(45, Math.max(12, rng.normal(25, 7)));
  return kmh / 3.6;
}

/**
 * Moves `distance` metres along the waypoints. Reached waypoints are dropped; the heading is the
 * direction of the current leg. With no waypoints left the position stays put.
 */
export function advanceAlongPath(state: PathState, distance: number): PathState & { arrived: boolean } {
  let position = state.position;
  let heading = state.heading;
  let left = Math.max(0, distance);
  const waypoints = [...state.waypoints];
  while (waypoints.length > 0 && left > 0) {
    const next = waypoints[0]!;
    const legM = distanceM(position, next);
    if (legM < 0.5) {
      waypoints.shift();
      continue;
    }
    heading = bearingDeg(position, next);
    if (legM <= left) {
      position = next;
      left -= legM;
      waypoints.shift();
    } else {
      position = moveM(position, heading, left);
      left = 0;
    }
  }
  return { position, heading, waypoints, arrived: waypoints.length === 0 };
}

/** Total length of a path from `from` through the waypoints, in metres. */
export function pathLengthM(from: LatLng, waypoints: readonly LatLng[]): number {
  let total = 0;
  let at = from;
  for (const point of waypoints) {
    total += distanceM(at, point);
    at = point;
  }
  return total;
}

const AXES = [0, 90, 180, 270] as const;

/** The grid axis closest to a bearing. */
export function snapToAxis(bearing: number): number {
  return AXES[Math.round((((bearing % 360) + 360) % 360) / 90) % 4]!;
}

/**
 * The next block of a random walk: mostly straight on, sometimes a turn, never a U-turn unless
 * the car would leave the area, in which case it turns towards the centre.
 */
export function nextWalkWaypoint(position: LatLng, heading: number, area: Area, rng: Rng): LatLng {
  const blockM = rng.float(120, 320);
  const current = snapToAxis(heading);
  const choices: [number, number][] = [
    [current, 0.6],
    [(current + 90) % 360, 0.2],
    [(current + 270) % 360, 0.2],
  ];
  const direction = rng.weighted(choices);
  const candidate = moveM(position, direction, blockM);
  if (distanceM(area.center, candidate) <= area.radiusM) return candidate;
  // Heading out of the area: take the axis that points most towards the centre.
  const home = snapToAxis(bearingDeg(position, area.center));
  return moveM(position, home, blockM);
}

/**
 * A Manhattan-style route from `from` to `to`: the north-south and east-west parts are split
 * into 1-3 alternating legs (a car does not drive the diagonal), ending exactly at `to`.
 */
export function planGridRoute(from: LatLng, to: LatLng, rng: Rng): LatLng[] {
  const jogs = rng.int(1, 3);
  const latFirst = rng.chance(0.5);
  const waypoints: LatLng[] = [];
  let lat = from.lat;
  let lng = from.lng;
  for (let i = 0; i < jogs; i += 1) {
    const share = i === jogs - 1 ? 1 : rng.float(0.25, 0.6);
    const stepLat = (to.lat - lat) * share;
    const stepLng = (to.lng - lng) * share;
    if (latFirst) {
      lat += stepLat;
      waypoints.push({ lat, lng });
      lng += stepLng;
      waypoints.push({ lat, lng });
    } else {
      lng += stepLng;
      waypoints.push({ lat, lng });
      lat += stepLat;
      waypoints.push({ lat, lng });
    }
  }
  waypoints[waypoints.length - 1] = { lat: to.lat, lng: to.lng };
  return waypoints.filter((point, index) => index === 0 || distanceM(point, waypoints[index - 1]!) > 1);
}
