/**
 * Presence and fixes that arrive over HTTP (POST /api/locations). The reconnect grace runs on
 * timers: vitest's fake timers are the virtual clock here, no test sleeps.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DriverPresenceIndex } from '../../src/presence/driver-presence.js';

const GRACE_MS = 30_000;
const KARACHI = { lat: 24.86, lng: 67.0 };
const NEAR = { lat: 24.861, lng: 67.001 };
const failOnListenerError = (error: unknown) => {
  throw error;
};

describe('DriverPresenceIndex with background fixes', () => {
  let presence: DriverPresenceIndex;
  let offline: string[];
  beforeEach(() => {
    vi.useFakeTimers();
    presence = new DriverPresenceIndex(GRACE_MS, failOnListenerError);
    offline = [];
    presence.onDriverOffline((id) => offline.push(id));
  });
  afterEach(() => {
    presence.stop();
    vi.useRealTimers();
  });

  it('keeps an on-ride driver whose socket is gone online past the grace while fixes keep coming', () => {
    // Arrange: online, on a ride, then the socket drops.
    presence.goOnline('d1', KARACHI, 1_000, 'car');
    presence.setActivity('d1', 'on_ride');
    presence.disconnected('d1');

    // Act: a fix over HTTP just before each grace would run out.
    for (let i = 1; i <= 3; i += 1) {
      vi.advanceTimersByTime(GRACE_MS - 1);
      expect(presence.moveInBackground('d1', NEAR, 45, 1_000 + i, true)).toBeDefined();
    }

    // Assert: still online where the last fix put them; offline a whole grace after the last fix.
    expect(offline).toEqual([]);
    expect(presence.get('d1')).toMatchObject({ location: NEAR, heading: 45, activity: 'on_ride', updatedAt: 1_003 });
    vi.advanceTimersByTime(GRACE_MS);
    expect(offline).toEqual(['d1']);
    expect(presence.get('d1')).toBeUndefined();
  });

  it('moves an idle driver in grace but lets the grace run out (fixes keep only ride drivers)', () => {
    presence.goOnline('d1', KARACHI, 1_000, 'car');
    presence.disconnected('d1');

    vi.advanceTimersByTime(GRACE_MS - 1);
    presence.moveInBackground('d1', NEAR, null, 2_000, false);
    vi.advanceTimersByTime(1);

    expect(offline).toEqual(['d1']);
  });

  it('brings an offline driver on a ride back as on a ride, never offerable, even once the ride ended', () => {
    // Act
    const info = presence.moveInBackground('d1', NEAR, null, 5_000, true);

    // Assert
    expect(info).toMatchObject({ activity: 'on_ride', location: NEAR });
    expect(presence.isBackgroundOnly('d1')).toBe(true);
    presence.setActivity('d1', 'idle'); // the ride ended
    expect(presence.nearestIdle(KARACHI, 5_000, 10)).toEqual([]);
    vi.advanceTimersByTime(GRACE_MS);
    expect(offline).toEqual(['d1']);
  });

  it('leaves an offline driver who is not on a ride offline', () => {
    expect(presence.moveInBackground('d1', NEAR, null, 5_000, false)).toBeUndefined();
    expect(presence.get('d1')).toBeUndefined();
  });

  it('makes a background-only driver offerable again once their socket is back and they go online', () => {
    presence.moveInBackground('d1', NEAR, null, 5_000, true);
    presence.reconnected('d1');
    presence.goOnline('d1', NEAR, 6_000, 'car');
    presence.setActivity('d1', 'idle');

    expect(presence.nearestIdle(KARACHI, 5_000, 10).map((d) => d.driverId)).toEqual(['d1']);
    vi.advanceTimersByTime(GRACE_MS * 2);
    expect(offline).toEqual([]);
  });
});
