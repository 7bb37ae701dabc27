import { Command } from 'commander';
import { packageVersion } from '@drivrr/shared/service';
import { EXIT } from './output.js';
import { register as registerUp } from './commands/up.js';
import { register as registerDown } from './commands/down.js';
import { register as registerHealth } from './commands/health.js';
import { register as registerMigrate } from './commands/migrate.js';
import { register as registerLan } from './commands/lan.js';
import { register as registerSimulate } from './commands/simulate.js';
import { register as registerScenario } from './commands/scenario.js';
import { register as registerOtp } from './commands/otp.js';
import { register as registerLogin } from './commands/login.js';
import { register as registerUsers } from './commands/users.js';

export const CLI_VERSION = packageVersion(new URL('../package.json', import.meta.url));

/**
 * Every subcommand registers itself through one `register(program)` function in commands/.
 * Add a new command by writing commands/NAME.ts and listing it here.
 */
export function buildProgram(): Command {
  const program = new Command('drivrr')
    .description('Run, check and exercise the Drivrr ride-hailing backend')
    .version(CLI_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  program.addHelpText(
    'after',
    `
Exit codes: ${EXIT.ok} ok, ${EXIT.failure} failure, ${EXIT.usage} bad usage, ${EXIT.unhealthy} unhealthy (health).
Set NO_COLOR=1 to turn colour off; DRIVRR_DEBUG=1 prints stack traces.`,
  );
  for (const register of registrations) register(program);
  return program;
}

type Registration = (program: Command) => void;
const registrations: Registration[] = [
  registerUp,
  registerDown,
  registerHealth,
  registerMigrate,
  registerLan,
  registerSimulate,
  registerScenario,
  registerOtp,
  registerLogin,
  registerUsers,
];
