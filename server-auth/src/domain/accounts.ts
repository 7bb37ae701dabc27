/** Rules of accounts that do not need I/O. */
import { AppError } from '@drivrr/shared';
import type { Role } from '@drivrr/shared/protocol';

/** How many saved addresses one account may keep. */
export const MAX_ADDRESSES_PER_USER = 50;

/** Only drivers have a vehicle. */
export function assertMayHaveVehicle(role: Role): void {
  if (role !== 'driver') throw new AppError('forbidden', 'only drivers have a vehicle');
}

export function assertMayAddAddress(currentCount: number): void {
  if (currentCount >= MAX_ADDRESSES_PER_USER) {
    throw new AppError('conflict', `at most ${MAX_ADDRESSES_PER_USER} saved addresses per account; delete one first`);
  }
}
