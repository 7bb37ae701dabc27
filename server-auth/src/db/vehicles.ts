/** Driver vehicles repository: one vehicle per driver. */
import type { Queryable } from '@drivrr/shared/db';
import type { VehicleBody, VehicleView } from '@drivrr/shared/protocol';

interface VehicleRow { make: string; model: string; color: string; plate: string; type: VehicleView['type'] }

export async function findVehicle(db: Queryable, driverId: string): Promise<VehicleView | undefined> {
  const { rows } = await db.query<VehicleRow>(`SELECT make, model, color, plate, type FROM vehicles WHERE driver_id = $1`, [driverId]);
  return rows[0] && { ...rows[0] };
}

/** Creates or replaces the driver's vehicle. */
export async function upsertVehicle(db: Queryable, driverId: string, v: VehicleBody): Promise<VehicleView> {
  const { rows } = await db.query<VehicleRow>(
    `INSERT INTO vehicles (driver_id, make, model, color, plate, type) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (driver_id) DO UPDATE SET make = EXCLUDED.make, model = EXCLUDED.model, color = EXCLUDED.color,
       plate = EXCLUDED.plate, type = EXCLUDED.type, updated_at = now()
     RETURNING make, model, color, plate, type`,
    [driverId, v.make, v.model, v.color, v.plate.toUpperCase(), v.type],
  );
  return { ...rows[0]! };
}
