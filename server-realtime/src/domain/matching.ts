/**
 * The matching policy: which online idle drivers to offer a request to, and when to widen.
 *
 * The search runs in ticks (MATCH_STEP_MS apart). Tick k searches radii[min(k, last)], but never a
 * smaller radius than the last tick used; if that radius holds no driver who has not been offered
 * yet, it widens at once to the next radius (no point waiting with nobody to ask). Each tick offers
 * the ride to at most `batch` new drivers, nearest first. After the largest radius, ticks keep
 * looking there for drivers who came online, until the request is taken, cancelled or expires.
 */
export interface MatchPolicy {
  radiiM: readonly number[];
  batch: number;
}

export interface MatchState {
  tick: number;
  radiusIndex: number;
}

export interface MatchCandidate {
  driverId: string;
  distanceM: number;
}

export const INITIAL_MATCH_STATE: MatchState = { tick: 0, radiusIndex: 0 };

export function largestRadiusM(policy: MatchPolicy): number {
  return policy.radiiM[policy.radiiM.length - 1] ?? 0;
}

/**
 * One tick. `candidates`: idle drivers within the largest radius, nearest first; `excluded`:
 * drivers already offered this ride (or otherwise not to be offered).
 */
export function planMatchTick<C extends MatchCandidate>(
  policy: MatchPolicy,
  state: MatchState,
  candidates: readonly C[],
  excluded: ReadonlySet<string>,
): { state: MatchState; radiusM: number; offers: C[] } {
  const last = policy.radiiM.length - 1;
  const start = Math.max(state.radiusIndex, Math.min(state.tick, last));
  for (let index = start; index <= last; index += 1) {
    const radius = policy.radiiM[index] as number;
    const fresh = candidates.filter((candidate) => candidate.distanceM <= radius && !excluded.has(candidate.driverId));
    if (fresh.length > 0) {
      return { state: { tick: state.tick + 1, radiusIndex: index }, radiusM: radius, offers: fresh.slice(0, policy.batch) };
    }
  }
  return { state: { tick: state.tick + 1, radiusIndex: last }, radiusM: largestRadiusM(policy), offers: [] };
}

/** After a raise of the fare: widen one step now. */
export function widen(policy: MatchPolicy, state: MatchState): MatchState {
  const last = policy.radiiM.length - 1;
  const radiusIndex = Math.min(last, Math.max(state.radiusIndex, Math.min(state.tick, last)) + 1);
  return { tick: Math.max(state.tick, radiusIndex), radiusIndex };
}
