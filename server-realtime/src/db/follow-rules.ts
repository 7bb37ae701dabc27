/**
 * The facts the transport's own rules need from the database: which vehicle a driver has on
 * file (driver.online, and the offers of its type) and whether a driver is the one assigned to a customer's active ride
 * (driver.follow). Read-only; rides and vehicles are written elsewhere.
 */
import type { Queryable } from '@drivrr/shared/db';
import type { VehicleType } from '@drivrr/shared/protocol';

/** The type of the driver's vehicle on file; undefined when none (driver.online needs one). */
export async function driverVehicleType(db: Queryable, driverId: string): Promise<VehicleType | undefined> {
  const { rows } = await db.query<{ type: VehicleType }>(`SELECT type FROM vehicles WHERE driver_id = $1`, [driverId]);
  return rows[0]?.type;
}

/** True when `driverId` drives `customerId`'s ride that is assigned, arrived or in progress. */
export async function isDriverOfActiveRide(db: Queryable, customerId: string, driverId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM rides WHERE customer_id = $1 AND driver_id = $2 AND status IN ('assigned', 'arrived', 'in_progress') LIMIT 1`,
    [customerId, driverId],
  );
  return (rowCount ?? 0) > 0;
}
