/**
 * `drivrr users seed`: faker-made accounts, created through the real OTP API with test phones
 * (so it works against any stack with OTP_TEST_PHONES, exactly as apps log in), each with a name
 * and email, and a vehicle for drivers. The same --seed gives the same people and phones.
 */
import { Faker, en, en_IN } from '@faker-js/faker';
import type { OtpRole, VehicleBody } from '@drivrr/shared/protocol';
import { CliError } from '../output.js';
import { AuthApiError, type AuthClient } from './auth-client.js';
import { DEFAULT_TEST_CODE } from './login.js';

export interface SeedOptions {
  drivers: number;
  customers: number;
  seed: number;
  /** E.164 prefix of the test phones (OTP_TEST_PHONES=PREFIX*=CODE on the stack). */
  prefix: string;
  code: string;
  concurrency: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SeededAccount {
  id: string;
  phone: string;
  role: OtpRole;
  name: string;
  email: string;
  isNewUser: boolean;
  vehicle: VehicleBody | null;
}

export const SEED_DEFAULTS = { prefix: '+92399', code: DEFAULT_TEST_CODE, concurrency: 8 } as const;

const VEHICLES: { make: string; model: string; type: VehicleBody['type'] }[] = [
  { make: 'Suzuki', model: 'Alto', type: 'car' },
  { make: 'Suzuki', model: 'Mehran', type: 'car' },
  { make: 'Toyota', model: 'Corolla', type: 'car' },
  { make: 'Honda', model: 'City', type: 'car' },
  { make: 'Honda', model: 'CD 70', type: 'bike' },
  { make: 'Yamaha', model: 'YBR 125', type: 'bike' },
  { make: 'Sazgar', model: 'Rickshaw', type: 'rickshaw' },
  { make: 'Tez Raftar', model: 'Rickshaw', type: 'rickshaw' },
];

interface Person { phone: string; role: OtpRole; name: string; email: string; vehicle: VehicleBody | null }

/** The people a seed makes: deterministic for a seed, unique phones under the prefix (never the operator number). */
export function planSeed(options: Pick<SeedOptions, 'drivers' | 'customers' | 'seed' | 'prefix'>): Person[] {
  const faker = new Faker({ locale: [en_IN, en] });
  faker.seed(options.seed);
  const digits = 13 - options.prefix.length; // E.164 numbers of Pakistan: +92 and 10 digits
  if (digits < 4) throw new CliError(`--prefix ${options.prefix} leaves too few digits for unique phones`);
  const used = new Set<string>();
  const people: Person[] = [];
  const roles: OtpRole[] = [...Array<OtpRole>(options.drivers).fill('driver'), ...Array<OtpRole>(options.customers).fill('customer')];
  for (const role of roles) {
    let phone: string;
    do phone = `${options.prefix}${faker.string.numeric({ length: digits, allowLeadingZeros: true })}`;
    while (used.has(phone) || /^0+$/.test(phone.slice(options.prefix.length)));
    used.add(phone);
    const first = faker.person.firstName();
    const last = faker.person.lastName();
    const model = faker.helpers.arrayElement(VEHICLES);
    people.push({
      phone,
      role,
      name: `${first} ${last}`,
      email: faker.internet.email({ firstName: first, lastName: last, provider: 'example.com' }).toLowerCase(),
      vehicle: role === 'driver'
        ? {
            ...model,
            color: faker.helpers.arrayElement(['White', 'Silver', 'Black', 'Red', 'Blue', 'Grey']),
            plate: `${faker.helpers.arrayElement(['KHI', 'LHR', 'ISB', 'RWP'])}-${faker.string.numeric(4)}`,
          }
        : null,
    });
  }
  return people;
}

export async function seedUsers(client: AuthClient, options: SeedOptions): Promise<SeededAccount[]> {
  const people = planSeed(options);
  const results: SeededAccount[] = new Array(people.length);
  let next = 0;
  let done = 0;
  async function worker(): Promise<void> {
    while (next < people.length) {
      const index = next++;
      const person = people[index]!;
      await client.sendOtp(person.phone, person.role);
      let login;
      try {
        login = await client.verifyOtp(person.phone, options.code, person.role);
      } catch (error) {
        if (error instanceof AuthApiError && error.code === 'invalid_code') {
          throw new CliError(`${person.phone} is not a test phone with code ${options.code} on this stack: start it with OTP_TEST_PHONES=${options.prefix}*=${options.code} ("drivrr up" does)`);
        }
        throw error;
      }
      await client.updateMe(login.accessToken, { name: person.name, email: person.email });
      if (person.vehicle) await client.putVehicle(login.accessToken, person.vehicle);
      results[index] = { id: login.user.id, phone: person.phone, role: person.role, name: person.name, email: person.email, isNewUser: login.isNewUser, vehicle: person.vehicle };
      options.onProgress?.(++done, people.length);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, people.length)) }, worker));
  return results;
}
