import { describe, expect, it } from 'vitest';
import { decideShareLink, SHARE_LINK_MAX_AGE_S, type ShareableRide } from '../src/domain/share-links.js';

const CUSTOMER = { userId: 'c1', role: 'customer' as const };
const DRIVER = { userId: 'd1', role: 'driver' as const };
const NOW = new Date('2026-11-26T00:00:00Z');
const ride = (status: ShareableRide['status']): ShareableRide => ({ customerId: 'c1', driverId: 'd1', status });

describe('decideShareLink', () => {
  it.each(['requested', 'assigned', 'arrived', 'in_progress'] as const)('lets the customer share a %s ride for at most a day', (status) => {
    expect(decideShareLink(ride(status), CUSTOMER, NOW)).toEqual({ expiresAt: new Date(NOW.getTime() + SHARE_LINK_MAX_AGE_S * 1000) });
  });

  it.each(['completed', 'cancelled', 'expired'] as const)('refuses to share a %s ride', (status) => {
    expect(() => decideShareLink(ride(status), CUSTOMER, NOW)).toThrow(expect.objectContaining({ code: 'invalid_transition', details: { status } }));
  });

  it('refuses the ride driver (forbidden) and hides the ride from strangers (not_found)', () => {
    expect(() => decideShareLink(ride('assigned'), DRIVER, NOW)).toThrow(expect.objectContaining({ code: 'forbidden' }));
    expect(() => decideShareLink(ride('assigned'), { userId: 'c2', role: 'customer' }, NOW)).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => decideShareLink(ride('assigned'), { userId: 'c1', role: 'operator' }, NOW)).toThrow(expect.objectContaining({ code: 'not_found' }));
  });
});
