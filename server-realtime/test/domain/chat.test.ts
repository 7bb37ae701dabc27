import { describe, expect, it } from 'vitest';
import type { RideStatus } from '@drivrr/shared/protocol';
import { CHAT_RATE_LIMIT, decideChatMessage, type ChatRide } from '../../src/domain/chat.js';

const CUSTOMER = 'c0000000-0000-4000-8000-000000000001';
const DRIVER = 'd0000000-0000-4000-8000-000000000002';
const STRANGER = 'e0000000-0000-4000-8000-000000000003';
const ride = (status: RideStatus, driverId: string | null = DRIVER): ChatRide => ({ status, customerId: CUSTOMER, driverId });

describe('in-ride chat rules', () => {
  it.each(['assigned', 'arrived', 'in_progress'] as const)('delivers a customer message on a %s ride to the driver, and the driver\'s to the customer', (status) => {
    expect(decideChatMessage(ride(status), CUSTOMER, 0)).toEqual({ ok: true, state: { from: 'customer', to: DRIVER }, effects: [] });
    expect(decideChatMessage(ride(status), DRIVER, 0)).toEqual({ ok: true, state: { from: 'driver', to: CUSTOMER }, effects: [] });
  });

  it.each(['requested', 'completed', 'cancelled', 'expired'] as const)('refuses a party on a %s ride with forbidden, naming the status', (status) => {
    const driverId = status === 'requested' || status === 'expired' ? null : DRIVER;
    const decision = decideChatMessage(ride(status, driverId), CUSTOMER, 0);
    expect(decision).toMatchObject({ ok: false, code: 'forbidden', details: { status } });
  });

  it('answers a stranger, and a ride that does not exist, with not_found', () => {
    expect(decideChatMessage(ride('in_progress'), STRANGER, 0)).toMatchObject({ ok: false, code: 'not_found' });
    expect(decideChatMessage(undefined, CUSTOMER, 0)).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('lets a sender write up to the limit within the window, and refuses the next with rate_limited', () => {
    expect(decideChatMessage(ride('arrived'), DRIVER, CHAT_RATE_LIMIT - 1).ok).toBe(true);
    expect(decideChatMessage(ride('arrived'), DRIVER, CHAT_RATE_LIMIT)).toMatchObject({ ok: false, code: 'rate_limited', details: { limit: 10, windowS: 10 } });
  });
});
