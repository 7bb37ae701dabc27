import { describe, expect, it } from 'vitest';
import { INITIAL_MATCH_STATE, planMatchTick, widen, type MatchCandidate, type MatchPolicy } from '../../src/domain/matching.js';

const policy: MatchPolicy = { radiiM: [1_500, 3_000, 5_000], batch: 2 };
const c = (driverId: string, distanceM: number): MatchCandidate => ({ driverId, distanceM });
const none = new Set<string>();

describe('matching policy', () => {
  it('offers the nearest drivers of the first radius, at most a batch', () => {
    const result = planMatchTick(policy, INITIAL_MATCH_STATE, [c('a', 100), c('b', 900), c('c', 1_400), c('d', 2_000)], none);
    expect(result.offers.map((o) => o.driverId)).toEqual(['a', 'b']);
    expect(result.radiusM).toBe(1_500);
    expect(result.state).toEqual({ tick: 1, radiusIndex: 0 });
  });

  it('widens with the ticks and never offers a driver twice', () => {
    const candidates = [c('a', 100), c('b', 900), c('c', 1_400), c('d', 2_000)];
    const second = planMatchTick(policy, { tick: 1, radiusIndex: 0 }, candidates, new Set(['a', 'b']));
    expect(second.radiusM).toBe(3_000);
    expect(second.offers.map((o) => o.driverId)).toEqual(['c', 'd']);
  });

  it('widens at once when the current radius holds nobody new', () => {
    const result = planMatchTick(policy, INITIAL_MATCH_STATE, [c('far', 4_500)], none);
    expect(result.offers.map((o) => o.driverId)).toEqual(['far']);
    expect(result.state).toEqual({ tick: 1, radiusIndex: 2 });
  });

  it('finds nobody beyond the largest radius and keeps looking there', () => {
    const result = planMatchTick(policy, INITIAL_MATCH_STATE, [c('too-far', 5_001)], none);
    expect(result.offers).toEqual([]);
    expect(result.state).toEqual({ tick: 1, radiusIndex: 2 });
    const later = planMatchTick(policy, { tick: 7, radiusIndex: 2 }, [c('new', 4_000)], none);
    expect(later.offers.map((o) => o.driverId)).toEqual(['new']);
  });

  it('never narrows the radius again', () => {
    const result = planMatchTick(policy, { tick: 1, radiusIndex: 2 }, [c('near', 10), c('far', 4_000)], new Set(['far']));
    expect(result.radiusM).toBe(5_000);
    expect(result.offers.map((o) => o.driverId)).toEqual(['near']);
  });

  it('widens one step on demand (a raised fare), capped at the largest radius', () => {
    expect(widen(policy, INITIAL_MATCH_STATE)).toEqual({ tick: 1, radiusIndex: 1 });
    expect(widen(policy, { tick: 5, radiusIndex: 2 })).toEqual({ tick: 5, radiusIndex: 2 });
  });
});
