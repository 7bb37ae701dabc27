import { describe, expect, it } from 'vitest';
import { createRng, fleetPhone, makeCustomerIdentity, makeDriverIdentity, MAX_DRIVERS, scenarioPhone, TEST_PHONE_PREFIX } from '@drivrr/simulators';

describe('seeded randomness', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    const seqB = Array.from({ length: 20 }, () => b.next());
    const seqC = Array.from({ length: 20 }, () => c.next());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('derives independent streams: drawing from one does not shift another', () => {
    const root1 = createRng(7);
    const root2 = createRng(7);
    const first = root1.derive('driver:3');
    root2.derive('driver:2').next();
    const again = root2.derive('driver:3');
    expect(Array.from({ length: 5 }, () => first.int(0, 1000))).toEqual(Array.from({ length: 5 }, () => again.int(0, 1000)));
  });

  it('keeps int() within its inclusive bounds and picks by weight', () => {
    const rng = createRng(1);
    const draws = Array.from({ length: 2000 }, () => rng.int(3, 5));
    expect(new Set(draws)).toEqual(new Set([3, 4, 5]));
    const heavy = Array.from({ length: 2000 }, () => rng.weighted([['a', 9], ['b', 1]] as const)).filter((x) => x === 'a').length;
    expect(heavy).toBeGreaterThan(1600);
  });
});

describe('fleet identities', () => {
  it('builds the same drivers and customers for the same seed', () => {
    const d1 = makeDriverIdentity(2026, 5);
    const d2 = makeDriverIdentity(2026, 5);
    expect({ ...d1, rng: undefined }).toEqual({ ...d2, rng: undefined });
    expect(d1.rng.next()).toBe(d2.rng.next());
    const c1 = makeCustomerIdentity(2026, 1);
    const c2 = makeCustomerIdentity(2026, 1);
    expect({ ...c1, rng: undefined }).toEqual({ ...c2, rng: undefined });
  });

  it('builds different people for different seeds and indexes', () => {
    const names = new Set(Array.from({ length: 30 }, (_, i) => `${makeDriverIdentity(1, i).name}|${makeDriverIdentity(1, i).vehicle.plate}`));
    expect(names.size).toBeGreaterThan(25);
    expect(makeDriverIdentity(1, 0).phone).not.toBe(makeDriverIdentity(2, 0).phone);
  });

  it('derives unique E.164 phones inside the test-phone prefix, drivers and customers apart', () => {
    const phones = new Set<string>();
    for (let i = 0; i < 500; i += 1) phones.add(fleetPhone(9, 'driver', i));
    for (let i = 0; i < 200; i += 1) phones.add(fleetPhone(9, 'customer', i));
    expect(phones.size).toBe(700);
    for (const phone of phones) expect(phone).toMatch(/^\+92399\d{7}$/);
    expect(() => fleetPhone(9, 'driver', MAX_DRIVERS)).toThrow(RangeError);
    expect(scenarioPhone(createRng(3)).startsWith(TEST_PHONE_PREFIX)).toBe(true);
    expect(Number(scenarioPhone(createRng(3)).slice(6))).toBeGreaterThanOrEqual(9_000_000);
  });

  it('gives drivers vehicles the vehicle endpoint accepts', async () => {
    const { VehicleBody } = await import('@drivrr/shared/protocol');
    for (let i = 0; i < 50; i += 1) expect(VehicleBody.safeParse(makeDriverIdentity(11, i).vehicle).success).toBe(true);
  });
});
