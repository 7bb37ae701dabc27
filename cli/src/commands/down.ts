/** `drivrr down`: stops a stack started by `drivrr up` (detached or in another terminal). */
import type { Command } from 'commander';
import { color, info, printJson } from '../output.js';
import { stopOrphanedPostgres } from '../platform/embedded-postgres.js';
import { isOurs, SERVICE_MARKERS, terminate, waitForExit } from '../platform/processes.js';
import { clearStackState, drivrrHome, readStackState } from '../stack-state.js';

export interface DownResult {
  wasRunning: boolean;
  stopped: string[];
}

/** Asks the supervisor to stop (it stops services, then the database), then sweeps up leftovers. */
export async function stopStack(log: (line: string) => void = () => {}): Promise<DownResult> {
  const state = await readStackState();
  const stopped: string[] = [];
  if (!state) {
    await stopOrphanedPostgres(drivrrHome(), log);
    return { wasRunning: false, stopped };
  }
  const { supervisor, auth, realtime, postgres } = state.pids;
  if (await isOurs(supervisor, ' up')) {
    log(`stopping the stack (supervisor pid ${supervisor})`);
    process.kill(supervisor, 'SIGTERM');
    if (!(await waitForExit(supervisor, 30_000))) await terminate(supervisor, 'SIGKILL', 0);
    stopped.push('supervisor');
  }
  // anything the supervisor could not stop (it was killed hard, say)
  await Promise.all(
    ([['auth', auth], ['realtime', realtime]] as const).map(async ([name, pid]) => {
      if (await isOurs(pid, SERVICE_MARKERS)) {
        log(`stopping the leftover ${name} service (pid ${pid})`);
        await terminate(pid!, 'SIGTERM', 5_000);
        stopped.push(name);
      }
    }),
  );
  if (state.embeddedDatabase && (await isOurs(postgres, 'postgres'))) {
    log(`stopping the leftover embedded PostgreSQL (pid ${postgres})`);
    await terminate(postgres!, 'SIGINT', 15_000);
    stopped.push('postgres');
  }
  if (state.embeddedDatabase) await stopOrphanedPostgres(drivrrHome(), log);
  await clearStackState();
  return { wasRunning: true, stopped };
}

export function register(program: Command): void {
  program
    .command('down')
    .description('Stop the stack that "drivrr up" started (services, then the embedded database)')
    .option('--json', 'print what was stopped as JSON')
    .addHelpText(
      'after',
      `
Reads the pids from $DRIVRR_HOME/state.json (default ./.drivrr), asks the supervisor to stop
(services first, then the database), then stops anything left over, e.g. after a hard kill.

Examples:
  $ npx drivrr up --detach && npx drivrr down
  $ DRIVRR_HOME=/var/tmp/drivrr npx drivrr down --json

Exit codes: 0 stopped (or nothing was running), 1 failure.`,
    )
    .action(async (flags: { json?: boolean }) => {
      const result = await stopStack((line) => info(color.dim(`- ${line}`)));
      if (flags.json) printJson(result);
      else info(result.wasRunning ? 'Drivrr stopped.' : 'No Drivrr stack is running here.');
    });
}
