/**
 * Who the simulated people are, derived from the seed: phone numbers inside the test-phone
 * prefix (+92399...), names, vehicles, and their behaviour profiles. Same seed => same people.
 */
import { Faker, base, en, en_IN } from '@faker-js/faker';
import type { VehicleBody } from '@drivrr/shared/protocol';
import { createRng, hashLabel, type Rng } from './rng.js';
import { DEFAULT_VEHICLE_MIX, driverVehicleType, type VehicleMix } from './vehicle-mix.js';
import { makeCustomerProfile, makeDriverProfile, type CustomerProfile, type DriverProfile } from './strategies.js';

/** Every simulated phone starts with this: the auth service's test-phone prefix in development. */
export const TEST_PHONE_PREFIX = '+92399';
/** The fixed code of the test phones (`OTP_TEST_PHONES=+92399*=000000`). */
export const DEFAULT_TEST_CODE = '000000';

/** Each seed owns a block of 10,000 numbers; drivers take the first 8,000, customers the rest. */
const BLOCK = 10_000;
const SEED_BLOCKS = 800;
export const MAX_DRIVERS = 8000;
export const MAX_CUSTOMERS = 2000;

export function fleetPhone(seed: number, role: 'driver' | 'customer', index: number): string {
  const limit = role === 'driver' ? MAX_DRIVERS : MAX_CUSTOMERS;
  if (!Number.isInteger(index) || index < 0 || index >= limit) throw new RangeError(`a fleet has at most ${limit} ${role}s`);
  // Block 0 is left out: +923990000000 is the development operator phone.
  const block = 1 + (hashLabel(`fleet:${seed}`) % (SEED_BLOCKS - 1));
  const offset = role === 'driver' ? index : MAX_DRIVERS + index;
  return `${TEST_PHONE_PREFIX}${String(block * BLOCK + offset).padStart(7, '0')}`;
}

/** Scenario actors use numbers 9,000,000+ of the prefix, never a fleet's (random per run). */
export function scenarioPhone(rng: Rng): string {
  return `${TEST_PHONE_PREFIX}${9_000_000 + rng.int(0, 999_999)}`;
}

const FIRST_NAMES = [
  'Ali', 'Ahmed', 'Bilal', 'Usman', 'Hamza', 'Imran', 'Kashif', 'Faisal', 'Tariq', 'Zubair', 'Asif', 'Nadeem', 'Saad',
  'Fahad', 'Junaid', 'Waqas', 'Rizwan', 'Shahid', 'Ayesha', 'Fatima', 'Sana', 'Hina', 'Maryam', 'Zainab', 'Sadia',
  'Nida', 'Rabia', 'Amna', 'Iqra', 'Mehwish',
];
const LAST_NAMES = [
  'Khan', 'Ahmed', 'Hussain', 'Siddiqui', 'Qureshi', 'Sheikh', 'Malik', 'Baloch', 'Memon', 'Abbasi', 'Chaudhry', 'Raza',
  'Shah', 'Mirza', 'Butt', 'Ansari', 'Soomro', 'Jatoi',
];
const VEHICLES: readonly { make: string; model: string; type: VehicleBody['type']; weight: number }[] = [
  { make: 'Suzuki', model: 'Alto', type: 'car', weight: 5 },
  { make: 'Suzuki', model: 'Mehran', type: 'car', weight: 3 },
  { make: 'Suzuki', model: 'Cultus', type: 'car', weight: 3 },
  { make: 'Toyota', model: 'Corolla', type: 'car', weight: 3 },
  { make: 'Honda', model: 'City', type: 'car', weight: 2 },
  { make: 'Kia', model: 'Picanto', type: 'car', weight: 1 },
  { make: 'Honda', model: 'CD 70', type: 'bike', weight: 4 },
  { make: 'Yamaha', model: 'YBR 125', type: 'bike', weight: 2 },
  { make: 'Sazgar', model: 'Rickshaw', type: 'rickshaw', weight: 2 },
  { make: 'Qingqi', model: 'Rickshaw', type: 'rickshaw', weight: 1 },
];
const PLATE_SERIES = ['AAA', 'AKR', 'BKW', 'BPL', 'CAR', 'KHI', 'LEB', 'AYS', 'BFJ', 'KMZ'];

const faker = new Faker({ locale: [en_IN, en, base] });

export interface DriverIdentity {
  index: number;
  phone: string;
  name: string;
  vehicle: VehicleBody;
  profile: DriverProfile;
  /** The driver's own stream of choices. */
  rng: Rng;
}

export interface CustomerIdentity {
  index: number;
  phone: string;
  name: string;
  email: string;
  profile: CustomerProfile;
  rng: Rng;
}

function personName(rng: Rng): string {
  faker.seed(rng.uint32());
  return `${faker.helpers.arrayElement(FIRST_NAMES)} ${faker.helpers.arrayElement(LAST_NAMES)}`;
}

/** A vehicle made up from `rng`; of `type` when given, else of any type by the models' weights. */
export function makeVehicle(rng: Rng, type?: VehicleBody['type']): VehicleBody {
  faker.seed(rng.uint32());
  const models = VEHICLES.filter((v) => type === undefined || v.type === type);
  const model = faker.helpers.weightedArrayElement(models.map((v) => ({ value: v, weight: v.weight })));
  const color = faker.helpers.arrayElement(['White', 'Silver', 'Black', 'Grey', 'Red', 'Blue', 'Maroon', 'Beige']);
  const plate = `${faker.helpers.arrayElement(PLATE_SERIES)}-${faker.string.numeric({ length: 3, allowLeadingZeros: false })}`;
  return { make: model.make, model: model.model, color, plate, type: model.type };
}

/** Driver `index` of the fleet of `seed`; its vehicle's type follows `mix` (driverVehicleType). */
export function makeDriverIdentity(seed: number, index: number, mix: VehicleMix = DEFAULT_VEHICLE_MIX): DriverIdentity {
  const rng = createRng(seed).derive(`driver:${index}`);
  const name = personName(rng);
  const vehicle = makeVehicle(rng, driverVehicleType(seed, index, mix));
  const profile = makeDriverProfile(rng);
  return { index, phone: fleetPhone(seed, 'driver', index), name, vehicle, profile, rng: rng.derive('choices') };
}

export function makeCustomerIdentity(seed: number, index: number): CustomerIdentity {
  const rng = createRng(seed).derive(`customer:${index}`);
  const name = personName(rng);
  faker.seed(rng.uint32());
  const email = faker.internet.email({ firstName: name.split(' ')[0], lastName: name.split(' ')[1], provider: 'example.com' }).toLowerCase();
  const profile = makeCustomerProfile(rng);
  return { index, phone: fleetPhone(seed, 'customer', index), name, email, profile, rng: rng.derive('choices') };
}
