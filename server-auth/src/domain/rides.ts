/** Who may see a ride: pure rules, no I/O. */
import type { Role } from '@drivrr/shared/protocol';

export interface Caller {
  userId: string;
  role: Role;
}

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

/**
 * Whether a driver who bid on a ride but was not chosen may read it. They may not: after the
 * haggling the ride belongs to its customer and its assigned driver only.
 */
export function mayReadRide(ride: RideParties, caller: Caller): boolean {
  return partySideOf(ride, caller) !== undefined;
}
