/** The per-type fare settings of the realtime config: defaults, overrides, and a clear refusal of bad values. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@drivrr/shared';
import { loadRealtimeConfig } from '@drivrr/server-realtime';

const BASE_ENV = {
  DATABASE_URL: 'postgres://localhost/none',
  JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
};

describe('fares per vehicle type in the config', () => {
  it('gives every type its defaults, a bike cheapest and a car dearest', () => {
    const { pricing } = loadRealtimeConfig(BASE_ENV).rides;

    expect(pricing.car).toMatchObject({ baseFare: 10_000, perKm: 4_000, perMinute: 500, minimumFare: 20_000 });
    expect(pricing.bike).toMatchObject({ baseFare: 5_000, perKm: 2_000, perMinute: 250, minimumFare: 10_000 });
    expect(pricing.rickshaw.minimumFare).toBeGreaterThan(pricing.bike.minimumFare);
    expect(pricing.rickshaw.minimumFare).toBeLessThan(pricing.car.minimumFare);
    // Roads, speed and the floor are shared.
    expect(pricing.bike.roadFactor).toBe(pricing.car.roadFactor);
  });

  it('reads each type from its own variables, cars from the unsuffixed ones', () => {
    const { pricing } = loadRealtimeConfig({ ...BASE_ENV, FARE_BASE: '12000', FARE_PER_KM_BIKE: '1500', FARE_MINIMUM_RICKSHAW: '9000' }).rides;

    expect(pricing.car.baseFare).toBe(12_000);
    expect(pricing.bike.perKm).toBe(1_500);
    expect(pricing.rickshaw.minimumFare).toBe(9_000);
    expect(pricing.bike.baseFare).toBe(5_000);
  });

  it.each([
    ['FARE_BASE_BIKE', '-1'],
    ['FARE_PER_KM_RICKSHAW', 'ten'],
    ['FARE_MINIMUM_BIKE', '0'],
    ['FARE_PER_MINUTE_BIKE', '2.5'],
  ])('refuses %s=%s at start, naming the variable', (name, value) => {
    expect(() => loadRealtimeConfig({ ...BASE_ENV, [name]: value })).toThrow(ConfigError);
    expect(() => loadRealtimeConfig({ ...BASE_ENV, [name]: value })).toThrow(name);
  });
});
