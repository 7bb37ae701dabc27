/** The caller's own profile, saved addresses and (drivers) vehicle. Identity always comes from the token. */
import { AppError, type Caller } from '@drivrr/shared';
import type { Pool } from '@drivrr/shared/db';
import type { AddressBody, AddressPatchBody, AddressView, UpdateMeBody, UserView, VehicleBody, VehicleView } from '@drivrr/shared/protocol';
import { countAddresses, deleteAddress, insertAddress, listAddresses, updateAddress } from '../db/addresses.js';
import { findUserById, updateUser } from '../db/users.js';
import { findVehicle, upsertVehicle } from '../db/vehicles.js';
import { assertMayAddAddress, assertMayHaveVehicle } from '../domain/accounts.js';

const addressNotFound = () => new AppError('not_found', 'no such address');

export function createProfile(pool: Pool) {
  return {
    async me(caller: Caller): Promise<UserView> {
      const user = await findUserById(pool, caller.userId);
      if (!user) throw new AppError('invalid_token', 'the account of this token no longer exists');
      return user;
    },
    async updateMe(caller: Caller, body: UpdateMeBody): Promise<UserView> {
      const user = await updateUser(pool, caller.userId, body);
      if (!user) throw new AppError('invalid_token', 'the account of this token no longer exists');
      return user;
    },
    listAddresses: (caller: Caller): Promise<AddressView[]> => listAddresses(pool, caller.userId),
    async addAddress(caller: Caller, body: AddressBody): Promise<AddressView> {
      assertMayAddAddress(await countAddresses(pool, caller.userId));
      return insertAddress(pool, caller.userId, body);
    },
    async updateAddress(caller: Caller, id: string, body: AddressPatchBody): Promise<AddressView> {
      const address = await updateAddress(pool, caller.userId, id, body);
      if (!address) throw addressNotFound();
      return address;
    },
    async deleteAddress(caller: Caller, id: string): Promise<void> {
      if (!(await deleteAddress(pool, caller.userId, id))) throw addressNotFound();
    },
    async vehicle(caller: Caller): Promise<VehicleView> {
      assertMayHaveVehicle(caller.role);
      const vehicle = await findVehicle(pool, caller.userId);
      if (!vehicle) throw new AppError('not_found', 'no vehicle registered yet; PUT /api/users/me/vehicle');
      return vehicle;
    },
    async putVehicle(caller: Caller, body: VehicleBody): Promise<VehicleView> {
      assertMayHaveVehicle(caller.role);
      return upsertVehicle(pool, caller.userId, body);
    },
  };
}
export type Profile = ReturnType<typeof createProfile>;
