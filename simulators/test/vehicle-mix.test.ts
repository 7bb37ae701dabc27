import { describe, expect, it } from 'vitest';
import { createRng, driverVehicleType, makeDriverIdentity, parseVehicleMix, requestVehicleType, DEFAULT_VEHICLE_MIX } from '@drivrr/simulators';

describe('the vehicle mix of a simulated fleet', () => {
  it('parses type=weight pairs, types left out weighing 0', () => {
    expect(parseVehicleMix('car=60,bike=30,rickshaw=10')).toEqual({ car: 60, bike: 30, rickshaw: 10 });
    expect(parseVehicleMix(' bike = 1 ')).toEqual({ car: 0, bike: 1, rickshaw: 0 });
  });

  it.each([
    ['car=60,truck=40', /unknown vehicle type "truck"/],
    ['car=60,car=40', /given twice/],
    ['car=-1', /not type=weight/],
    ['car=1.5', /not type=weight/],
    ['car=0,bike=0', /above 0/],
    ['car=2000', /0\.\.1000/],
    ['', /not type=weight/],
  ])('refuses %j with a message that says why', (text, message) => {
    expect(() => parseVehicleMix(text)).toThrow(message);
  });

  it('gives the first drivers of a fleet the types in the proportions of the mix, the same for the same seed', () => {
    const mix = parseVehicleMix('car=60,bike=30,rickshaw=10');
    const types = Array.from({ length: 100 }, (_, i) => driverVehicleType(7, i, mix));
    const counts = { car: 0, bike: 0, rickshaw: 0 };
    for (const type of types) counts[type] += 1;

    expect(Math.abs(counts.car - 60)).toBeLessThanOrEqual(2);
    expect(Math.abs(counts.bike - 30)).toBeLessThanOrEqual(2);
    expect(Math.abs(counts.rickshaw - 10)).toBeLessThanOrEqual(2);
    expect(Array.from({ length: 100 }, (_, i) => driverVehicleType(7, i, mix))).toEqual(types);
    // Another seed deals the types out differently.
    expect(Array.from({ length: 100 }, (_, i) => driverVehicleType(8, i, mix))).not.toEqual(types);
  });

  it('registers each simulated driver with a vehicle of its type', () => {
    const mix = parseVehicleMix('bike=1,rickshaw=1');
    for (let i = 0; i < 20; i += 1) {
      const driver = makeDriverIdentity(3, i, mix);
      expect(driver.vehicle.type).toBe(driverVehicleType(3, i, mix));
      expect(['bike', 'rickshaw']).toContain(driver.vehicle.type);
    }
    expect(makeDriverIdentity(3, 0).vehicle.type).toBe('car');
  });

  it('has customers ask for types in the mix, from their own seeded stream', () => {
    const mix = parseVehicleMix('car=50,bike=50');
    const draw = () => {
      const rng = createRng(11);
      return Array.from({ length: 400 }, () => requestVehicleType(rng, mix));
    };
    const asked = draw();

    expect(asked).toEqual(draw());
    expect(asked.filter((type) => type === 'bike').length).toBeGreaterThan(150);
    expect(asked).not.toContain('rickshaw');
    // Cars only (the default): nothing drawn, so the customer's other choices do not shift.
    const rng = createRng(11);
    expect(requestVehicleType(rng, DEFAULT_VEHICLE_MIX)).toBe('car');
    expect(rng.next()).toBe(createRng(11).next());
  });
});
