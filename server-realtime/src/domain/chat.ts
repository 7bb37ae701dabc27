/**
 * In-ride chat rules (contract 1.1), pure: who may write on a ride and when, who receives it, and
 * the per-sender rate limit. The caller reads the ride and the sender's recent count, stores the
 * message and announces it through the rides outbox.
 */
import { ENGAGED_RIDE_STATUSES, type RideStatus } from '@drivrr/shared/protocol';
import { accept, refuse, type DomainResult } from './result.js';

/** A sender may write this many messages on one ride within CHAT_RATE_WINDOW_MS, no more. */
export const CHAT_RATE_LIMIT = 10;
export const CHAT_RATE_WINDOW_MS = 10_000;

export interface ChatRide {
  status: RideStatus;
  customerId: string;
  driverId: string | null;
}

export interface ChatDelivery {
  /** The sender's side of the ride. */
  from: 'customer' | 'driver';
  /** The other party, who gets chat.message. */
  to: string;
}

/**
 * A message of `senderId` on `ride`, having sent `recentCount` within the window: delivered to
 * the other party, or refused. Strangers get not_found (a ride's existence is not told to them);
 * a party writes only while the ride has a driver and has not ended (assigned, arrived, in
 * progress): forbidden otherwise; past the limit, rate_limited.
 */
export function decideChatMessage(ride: ChatRide | undefined, senderId: string, recentCount: number): DomainResult<ChatDelivery, never> {
  if (!ride || (senderId !== ride.customerId && senderId !== ride.driverId)) return refuse('not_found', 'no such ride of yours');
  if (!(ENGAGED_RIDE_STATUSES as readonly RideStatus[]).includes(ride.status) || ride.driverId === null) {
    return refuse('forbidden', 'chat is open while the ride is assigned, arrived or in progress', { status: ride.status });
  }
  if (recentCount >= CHAT_RATE_LIMIT) {
    return refuse('rate_limited', `at most ${CHAT_RATE_LIMIT} messages in ${CHAT_RATE_WINDOW_MS / 1000} s`, {
      limit: CHAT_RATE_LIMIT,
      windowS: CHAT_RATE_WINDOW_MS / 1000,
    });
  }
  return senderId === ride.customerId ? accept({ from: 'customer', to: ride.driverId }) : accept({ from: 'driver', to: ride.customerId });
}
