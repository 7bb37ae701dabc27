/** Who may see a ride: pure rules, no I/O. */
import type { Caller as VerifiedCaller } from '@drivrr/shared';

/** Who asks: the identity part of the verified token's caller. */
export type Caller = Pick<VerifiedCaller, 'userId' | 'role'>;

export interface RideParties {
  customerId: string;
  driverId: string | null;
}

/** The side of the ride the caller is on, or undefined when they are not a party to it. */
export function partySideOf(ride: RideParties, caller: Caller): 'customer' | 'driver' | undefined {
  if (caller.role === 'customer' && ride.customerId === caller.userId) return 'customer';
  if (caller.role === 'driver' && ride.driverId !== null && ride.driverId === caller.userId) return 'driver';
  return undefined;
}
