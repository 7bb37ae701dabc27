/**
 * The vehicle types of a simulated fleet (`--vehicle-mix car=60,bike=30,rickshaw=10`): which share
 * of the drivers rides which type, and which share of the requests asks for it. Same seed and mix,
 * same fleet.
 */
import { VehicleType } from '@drivrr/shared/protocol';
import { createRng, type Rng } from './rng.js';

/** Relative weights by type (any scale: 60/30/10 or 6/3/1); a type left out weighs 0. */
export type VehicleMix = Readonly<Record<VehicleType, number>>;

/** A fleet of cars only: what every fleet was before types existed, and what small test fleets need. */
export const DEFAULT_VEHICLE_MIX: VehicleMix = { car: 100, bike: 0, rickshaw: 0 };

/**
 * Parses `car=60,bike=30,rickshaw=10`. Throws a RangeError naming the problem: an unknown type, a
 * type given twice, a weight that is not a whole number from 0 to 1000, or all weights 0.
 */
export function parseVehicleMix(text: string): VehicleMix {
  const mix: Record<VehicleType, number> = { car: 0, bike: 0, rickshaw: 0 };
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const match = /^\s*([a-z]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!match) throw new RangeError(`"${part.trim()}" is not type=weight (e.g. car=60,bike=30,rickshaw=10)`);
    const [, name, weightText] = match as unknown as [string, string, string];
    const type = VehicleType.safeParse(name);
    if (!type.success) throw new RangeError(`unknown vehicle type "${name}" (types: ${VehicleType.options.join(', ')})`);
    if (seen.has(type.data)) throw new RangeError(`vehicle type "${name}" is given twice`);
    seen.add(type.data);
    const weight = Number(weightText);
    if (weight > 1000) throw new RangeError(`the weight of ${name} must be 0..1000`);
    mix[type.data] = weight;
  }
  if (mix.car + mix.bike + mix.rickshaw === 0) throw new RangeError('at least one vehicle type needs a weight above 0');
  return mix;
}

export function formatVehicleMix(mix: VehicleMix): string {
  return VehicleType.options.filter((type) => mix[type] > 0).map((type) => `${type}=${mix[type]}`).join(',');
}

/** The type at `u` (0..1) along the mix's cumulative weights. */
function typeAt(mix: VehicleMix, u: number): VehicleType {
  const total = mix.car + mix.bike + mix.rickshaw;
  let roll = u * total;
  for (const type of VehicleType.options) {
    if (mix[type] === 0) continue;
    if (roll < mix[type]) return type;
    roll -= mix[type];
  }
  return VehicleType.options.filter((type) => mix[type] > 0).at(-1) as VehicleType;
}

/** The golden ratio's fraction: stepping by it spreads any run of indexes evenly over 0..1. */
const GOLDEN_FRACTION = 0.6180339887498949;

/**
 * The type of driver `index` of the fleet of `seed`. Spread by a low-discrepancy sequence (not a
 * dice roll per driver), so that any first N drivers follow the mix closely: 10 drivers at
 * car=60,bike=30,rickshaw=10 are 6, 3 and 1, not whatever ten rolls give.
 */
export function driverVehicleType(seed: number, index: number, mix: VehicleMix): VehicleType {
  const offset = createRng(seed).derive('vehicle-mix').next();
  const u = (offset + index * GOLDEN_FRACTION) % 1;
  return typeAt(mix, u);
}

/** The type a customer asks for on one request: a draw from the customer's own seeded stream. */
export function requestVehicleType(rng: Rng, mix: VehicleMix): VehicleType {
  const types = VehicleType.options.filter((type) => mix[type] > 0);
  // One type only (the default, cars): no draw, so the customer's other choices stay as they were.
  if (types.length === 1) return types[0] as VehicleType;
  return typeAt(mix, rng.next());
}
