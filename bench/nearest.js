/**
 * Micro-benchmark: nearest-10 idle drivers among 10,000 online drivers spread over a 30 km city,
 * through the service's own presence index (server-realtime/dist, so `tsc -b` first).
 */
import { createRng } from '@drivrr/shared/random';
import { DriverPresenceIndex } from '../server-realtime/dist/presence/driver-presence.js';

export function benchNearest({ drivers = 10_000, queries = 20_000, radiusM = 5_000, limit = 10 } = {}) {
  const random = createRng(7).next;
  const presence = new DriverPresenceIndex(30_000, () => {});
  const span = 0.27; // ≈ 30 km of latitude
  const now = Date.now();
  for (let i = 0; i < drivers; i++) {
    presence.goOnline(`driver-${i}`, { lat: 24.86 + (random() - 0.5) * span, lng: 67.0 + (random() - 0.5) * span }, now);
    if (random() < 0.3) presence.setActivity(`driver-${i}`, 'on_ride');
  }
  const points = Array.from({ length: queries }, () => ({ lat: 24.86 + (random() - 0.5) * span, lng: 67.0 + (random() - 0.5) * span }));
  for (let i = 0; i < 2_000; i++) presence.nearestIdle(points[i % queries], radiusM, limit); // warm-up (JIT)
  const times = new Float64Array(queries);
  let found = 0;
  for (let i = 0; i < queries; i++) {
    const t0 = process.hrtime.bigint();
    found += presence.nearestIdle(points[i], radiusM, limit).length;
    times[i] = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  // And a moving fleet: updates interleaved with queries, as in production.
  const moveTimes = new Float64Array(queries);
  for (let i = 0; i < queries; i++) {
    const id = `driver-${Math.floor(random() * drivers)}`;
    const t0 = process.hrtime.bigint();
    presence.move(id, { lat: 24.86 + (random() - 0.5) * span, lng: 67.0 + (random() - 0.5) * span }, null, now);
    moveTimes[i] = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  times.sort();
  moveTimes.sort();
  const q = (arr, p) => arr[Math.min(arr.length - 1, Math.floor(arr.length * p))];
  return {
    drivers,
    queries,
    radiusM,
    limit,
    avgFound: found / queries,
    p50Ms: q(times, 0.5),
    p99Ms: q(times, 0.99),
    maxMs: times[times.length - 1],
    moveP50Ms: q(moveTimes, 0.5),
    moveP99Ms: q(moveTimes, 0.99),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(benchNearest());
