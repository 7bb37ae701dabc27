/** `drivrr users seed`: faker-made customers and drivers (with vehicles) through the real OTP API. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { authClient } from '../accounts/auth-client.js';
import { SEED_DEFAULTS, seedUsers } from '../accounts/seed.js';
import { CliError, EXIT, color, formatTable, info, printJson, printLine } from '../output.js';
import { parsePositiveInt, parseUrl } from '../platform/options.js';
import { resolveEndpoints } from '../stack-state.js';

interface SeedFlags {
  drivers: number;
  customers: number;
  seed: number;
  prefix: string;
  code: string;
  concurrency: number;
  json?: boolean;
  authUrl?: string;
}

const count = (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) > 10_000) throw new InvalidArgumentError(`"${value}" is not a count (0-10000)`);
  return Number(value);
};
const seedNumber = (value: string) => {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return Number(value);
};
const prefix = (value: string) => {
  if (!/^\+[1-9]\d{3,10}$/.test(value)) throw new InvalidArgumentError(`"${value}" is not an E.164 prefix like +92399`);
  return value;
};
const code = (value: string) => {
  if (!/^\d{6}$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a 6-digit code`);
  return value;
};

export function register(program: Command): void {
  const users = program.command('users').description('Manage accounts on a running stack');
  users
    .command('seed')
    .description('Create faker-made accounts (drivers get a vehicle) through the real OTP API with test phones')
    .option('-d, --drivers <n>', 'how many drivers', count, 0)
    .option('-c, --customers <n>', 'how many customers', count, 0)
    .option('--seed <n>', 'random seed: the same seed gives the same people and phones (re-running logs them in again)', seedNumber, 1)
    .option('--prefix <e164>', 'test phone prefix configured on the stack (OTP_TEST_PHONES=PREFIX*=CODE)', prefix, SEED_DEFAULTS.prefix)
    .option('--code <code>', 'the test phones\' fixed code', code, SEED_DEFAULTS.code)
    .option('--concurrency <n>', 'logins in flight at once', parsePositiveInt, SEED_DEFAULTS.concurrency)
    .option('--json', 'print the accounts as JSON')
    .option('--auth-url <url>', 'auth service base URL (default: $DRIVRR_AUTH_URL, the running stack, or http://127.0.0.1:3000)', parseUrl)
    .addHelpText(
      'after',
      `
Needs test phones on the stack ("drivrr up" sets OTP_TEST_PHONES=+92399*=000000).

JSON shape: [{id, phone, role, name, email, isNewUser, vehicle: {make, model, color, plate, type} | null}]

Examples:
  $ npx drivrr users seed --drivers 20 --customers 50
  $ npx drivrr users seed --drivers 5 --seed 7 --json | jq -r '.[].phone'`,
    )
    .action(async (flags: SeedFlags) => {
      if (flags.drivers + flags.customers === 0) throw new CliError('nothing to do: pass --drivers N and/or --customers M', EXIT.usage);
      const { authUrl } = await resolveEndpoints({ authUrl: flags.authUrl });
      const accounts = await seedUsers(authClient(authUrl), {
        ...flags,
        onProgress: (done, total) => {
          if (process.stderr.isTTY && (done === total || done % 10 === 0)) info(color.dim(`${done}/${total} accounts`));
        },
      });
      info(color.green(`${accounts.length} accounts ready (${accounts.filter((a) => a.isNewUser).length} new)`));
      if (flags.json) {
        printJson(accounts);
        return;
      }
      printLine(
        formatTable(
          ['ROLE', 'PHONE', 'NAME', 'VEHICLE', 'ID'],
          accounts.map((a) => [a.role, a.phone, a.name, a.vehicle ? `${a.vehicle.type} ${a.vehicle.make} ${a.vehicle.model} ${a.vehicle.plate}` : '-', a.id]),
        ),
      );
    });
}
