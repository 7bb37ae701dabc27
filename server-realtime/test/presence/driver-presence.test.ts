import { describe, expect, it } from 'vitest';
import { DriverPresenceIndex } from '../../src/presence/driver-presence.js';

const KARACHI = { lat: 24.86, lng: 67.0 };
const failOnListenerError = (error: unknown) => {
  throw error;
};

describe('DriverPresenceIndex locations', () => {
  it('moves an online driver to each new fix and tells the location listeners the new position', () => {
    // Arrange
    const presence = new DriverPresenceIndex(30_000, failOnListenerError);
    const heard: { lat: number; lng: number }[] = [];
    presence.onDriverLocation((info) => heard.push({ ...info.location }));
    presence.goOnline('d1', KARACHI, 1_000, 'car');

    // Act
    presence.move('d1', { lat: 24.87, lng: 67.01 }, 90, 2_000);
    presence.move('d1', { lat: 24.88, lng: 67.02 }, null, 3_000);

    // Assert
    expect(presence.get('d1')).toMatchObject({ location: { lat: 24.88, lng: 67.02 }, heading: 90, updatedAt: 3_000 });
    expect(heard).toEqual([KARACHI, { lat: 24.87, lng: 67.01 }, { lat: 24.88, lng: 67.02 }]);
  });

  it('hands out locations from nearestIdle and within that later fixes do not change', () => {
    // Arrange: locations are moved in place on every fix (no allocation per fix), so the
    // query results must be copies.
    const presence = new DriverPresenceIndex(30_000, failOnListenerError);
    presence.goOnline('d1', KARACHI, 1_000, 'car');
    const [nearest] = presence.nearestIdle(KARACHI, 1_000, 5);
    const [within] = presence.within(KARACHI, 1_000);

    // Act
    presence.move('d1', { lat: 24.861, lng: 67.001 }, null, 2_000);

    // Assert
    expect(nearest?.location).toEqual(KARACHI);
    expect(within?.location).toEqual(KARACHI);
    expect(presence.get('d1')?.location).toEqual({ lat: 24.861, lng: 67.001 });
  });

  it('does not keep a reference to the caller’s fix object', () => {
    // Arrange
    const presence = new DriverPresenceIndex(30_000, failOnListenerError);
    const fix = { lat: 24.86, lng: 67.0 };
    presence.goOnline('d1', fix, 1_000, 'car');

    // Act: the caller reuses its object (a parsed frame is not ours to keep)
    fix.lat = 0;
    fix.lng = 0;

    // Assert
    expect(presence.get('d1')?.location).toEqual(KARACHI);
  });

  it('refuses a move for a driver who is not online', () => {
    const presence = new DriverPresenceIndex(30_000, failOnListenerError);
    expect(presence.move('nobody', KARACHI, null, 1_000)).toBeUndefined();
    expect(presence.isOnline('nobody')).toBe(false);
  });
});

describe('DriverPresenceIndex vehicle types', () => {
  it('filters nearestIdle by vehicle type when asked, and returns every type when not', () => {
    // Arrange: the nearest driver rides a bike, the next a car, the farthest a rickshaw.
    const presence = new DriverPresenceIndex(30_000, failOnListenerError);
    presence.goOnline('bike', { lat: KARACHI.lat + 0.001, lng: KARACHI.lng }, 1_000, 'bike');
    presence.goOnline('car', { lat: KARACHI.lat + 0.002, lng: KARACHI.lng }, 1_000, 'car');
    presence.goOnline('rickshaw', { lat: KARACHI.lat + 0.003, lng: KARACHI.lng }, 1_000, 'rickshaw');

    // Act
    const cars = presence.nearestIdle(KARACHI, 5_000, 2, 'car');
    const rickshaws = presence.nearestIdle(KARACHI, 5_000, 2, 'rickshaw');
    const anyType = presence.nearestIdle(KARACHI, 5_000, 2);

    // Assert
    expect(cars.map((d) => d.driverId)).toEqual(['car']);
    expect(rickshaws.map((d) => d.driverId)).toEqual(['rickshaw']);
    expect(anyType.map((d) => d.driverId)).toEqual(['bike', 'car']);
  });

  it('takes the vehicle type of a driver who goes online again after changing vehicle', () => {
    // Arrange
    const presence = new DriverPresenceIndex(30_000, failOnListenerError);
    presence.goOnline('d1', KARACHI, 1_000, 'car');

    // Act
    presence.goOnline('d1', KARACHI, 2_000, 'bike');

    // Assert
    expect(presence.get('d1')?.vehicleType).toBe('bike');
    expect(presence.nearestIdle(KARACHI, 1_000, 5, 'car')).toEqual([]);
  });
});
