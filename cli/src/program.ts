import { Command } from 'commander';
import { packageVersion } from '@drivrr/shared/service';
import { EXIT, jsonRequested } from './output.js';
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
import { register as registerStatus } from './commands/status.js';
import { register as registerLogs } from './commands/logs.js';
import { register as registerReset } from './commands/reset.js';

export const CLI_VERSION = packageVersion(new URL('../package.json', import.meta.url));

/**
 * Every subcommand registers itself through one `register(program)` function in commands/.
 * Add a new command by writing commands/NAME.ts and listing it here.
 */
export function buildProgram(): Command {
  const program = new Command('drivrr')
    .description('Run, check and exercise the Drivrr ride-hailing backend')
    .version(CLI_VERSION)
    .showHelpAfterError(jsonRequested() ? false : '(run with --help for usage)')
    .exitOverride()
    // under --json, usage errors leave as one JSON object on stderr (reportFatal), not commander's text
    .configureOutput({ outputError: (text, write) => (jsonRequested() ? undefined : write(text)) });
  program.addHelpText(
    'after',
    `
Data goes to stdout, messages to stderr. --json (every command) prints JSON on stdout, and an error
as {"error":{"code","message","exitCode"}} on stderr.
Exit codes: ${EXIT.ok} ok, ${EXIT.failure} failure, ${EXIT.usage} bad usage, ${EXIT.unhealthy} unhealthy (health), 130 interrupted.
Colour only on a terminal, per stream; NO_COLOR=1 turns it off. DRIVRR_DEBUG=1 prints stack traces.`,
  );
  for (const register of registrations) register(program);
  return program;
}

type Registration = (program: Command) => void;
const registrations: Registration[] = [
  registerUp,
  registerDown,
  registerStatus,
  registerHealth,
  registerLogs,
  registerReset,
  registerMigrate,
  registerLan,
  registerSimulate,
  registerScenario,
  registerOtp,
  registerLogin,
  registerUsers,
];
