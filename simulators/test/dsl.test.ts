import { describe, expect, it } from 'vitest';
import { mismatch, narrate, resolve, SCENARIOS, ScenarioError, stepTitle } from '@drivrr/simulators';

describe('scenario matchers', () => {
  it('matches partial objects deeply and says where and how they differ', () => {
    expect(mismatch({ ride: { status: 'assigned' } }, { ride: { status: 'assigned', fare: 1 }, extra: true })).toBeUndefined();
    expect(mismatch({ ride: { status: 'assigned' } }, { ride: { status: 'requested' } })).toBe('data.ride.status: expected "assigned", got "requested"');
    expect(mismatch({ ride: { id: 'x' } }, { ride: null })).toContain('data.ride: expected an object');
  });

  it('supports comparison, membership, existence, length, some and count operators', () => {
    expect(mismatch({ $gt: 1, $lt: 5 }, 3)).toBeUndefined();
    expect(mismatch({ $gte: 4 }, 3)).toBe('data: expected >= 4, got 3');
    expect(mismatch({ $oneOf: ['a', 'b'] }, 'c')).toContain('expected one of');
    expect(mismatch({ $exists: true }, null)).toContain('expected a value');
    expect(mismatch({ $len: 2 }, [1])).toBe('data: expected 2 items, got 1');
    expect(mismatch({ $some: { status: 'accepted' } }, [{ status: 'rejected' }, { status: 'accepted' }])).toBeUndefined();
    expect(mismatch({ $count: [{ status: 'rejected' }, 2] }, [{ status: 'rejected' }, { status: 'accepted' }])).toContain('expected 2 items like');
    expect(mismatch({ $ne: 1 }, 1)).toContain('anything but');
    expect(mismatch((value: unknown) => value === 7 || 'not seven', 8)).toBe('data: not seven');
  });

  it('resolves $variables in data and matchers, calls data functions, keeps matcher functions', () => {
    const vars = { rideId: 'r1', bid: { id: 'b1', fare: 500 }, suggested: 900 };
    expect(resolve({ rideId: '$rideId', bidId: '$bid.id', fare: (v: Record<string, unknown>) => Number(v.suggested) + 1 }, vars)).toEqual({ rideId: 'r1', bidId: 'b1', fare: 901 });
    const predicate = (x: unknown) => x === 1;
    expect((resolve({ check: predicate, at: { $lt: '$suggested' } }, vars, true) as { check: unknown; at: unknown })).toEqual({ check: predicate, at: { $lt: 900 } });
    expect(() => resolve('$missing', vars)).toThrow(ScenarioError);
  });

  it('narrates with variables and shows money in rupees', () => {
    expect(narrate('{{ayesha.name}} asks {{fare|money}}', { ayesha: { name: 'Ayesha Khan' }, fare: 26_390 })).toBe('Ayesha Khan asks Rs 264');
    expect(narrate('unknown {{nope}} stays', {})).toBe('unknown {{nope}} stays');
  });
});

describe('the scenario catalogue', () => {
  it('has the nine required scenarios, each with actors and titled steps', () => {
    const names = SCENARIOS.map((s) => s.name);
    for (const required of ['happy-path', 'haggle-counter-offer', 'raise-fare', 'no-drivers-nearby', 'driver-cancels-after-accept', 'customer-cancels-while-bidding', 'bid-race', 'driver-reconnects-mid-ride', 'wallet-payment']) {
      expect(names).toContain(required);
    }
    expect(new Set(names).size).toBe(names.length);
    for (const s of SCENARIOS) {
      expect(s.steps.length).toBeGreaterThan(3);
      for (const step of s.steps) {
        expect(stepTitle(step).length).toBeGreaterThan(0);
        if ('actor' in step && !step.actor.startsWith('$')) expect(Object.keys(s.actors)).toContain(step.actor);
      }
    }
  });
});
