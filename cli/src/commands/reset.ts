/**
 * `drivrr reset`: a clean slate for QA. Stops the local stack, deletes the embedded database
 * (every account, ride and transaction, the dev SMS outbox with them) and the logs, and keeps the
 * signing keys, so tokens and app settings stay valid. An external DATABASE_URL is never dropped:
 * only its dev outbox is emptied. Asks first (on the terminal), unless --yes.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import pg from 'pg';
import { redactUrl } from '../platform/stack.js';
import { CliError, color, info, printJson } from '../output.js';
import { confirmOrStop } from '../prompts.js';
import { drivrrHome, readStackState } from '../stack-state.js';
import { stopStack } from './down.js';

export interface ResetResult {
  stopped: string[];
  removed: string[];
  /** Rows deleted from an external database's dev outbox (null: no external database). */
  outboxCleared: number | null;
  keptKeys: string;
}

async function clearOutbox(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rowCount } = await client.query('DELETE FROM dev_sms_outbox');
    return rowCount ?? 0;
  } catch (error) {
    throw new CliError(`cannot empty the dev outbox at ${redactUrl(databaseUrl)}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function register(program: Command): void {
  program
    .command('reset')
    .description('Stop the local stack and wipe its embedded database, dev outbox and logs (keys are kept)')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('--json', 'print what was done as JSON')
    .addHelpText(
      'after',
      `
Deletes $DRIVRR_HOME/pg (the embedded PostgreSQL: accounts, rides, wallets, the dev SMS outbox),
postgres.json and logs/. Keeps keys/, so access tokens and the apps' settings stay valid. With
DATABASE_URL set, that database is left alone except its dev outbox, which is emptied. The next
"drivrr up" starts from an empty, migrated database.

--json: {stopped: [...], removed: [paths], outboxCleared: n|null, keptKeys: path}

Examples:
  $ npx drivrr reset              # asks first
  $ npx drivrr reset --yes --json # in scripts (no terminal: --yes is required)

Exit codes: 0 done, 1 failure or answered no, 2 no terminal to ask on and no --yes.`,
    )
    .action(async (flags: { yes?: boolean; json?: boolean }) => {
      const home = drivrrHome();
      const state = await readStackState();
      const external = process.env.DATABASE_URL || (state && !state.embeddedDatabase ? state.databaseUrl : undefined);
      await confirmOrStop(
        `Stop the stack and delete everything in ${path.join(home, 'pg')} (accounts, rides, wallets, the dev outbox) and the logs? The keys are kept.`,
        { yes: flags.yes, flag: '--yes' },
      );
      const log = flags.json ? () => {} : (line: string) => info(color.dim(`- ${line}`));
      const { stopped } = await stopStack(log);
      const removed: string[] = [];
      for (const target of ['pg', 'postgres.json', 'logs', 'state.json']) {
        const full = path.join(home, target);
        await rm(full, { recursive: true, force: true });
        removed.push(full);
      }
      const outboxCleared = external ? await clearOutbox(external) : null;
      const result: ResetResult = { stopped, removed, outboxCleared, keptKeys: path.join(home, 'keys') };
      if (flags.json) printJson(result);
      else {
        info(`reset: ${stopped.length ? `stopped ${stopped.join(', ')}; ` : ''}deleted the embedded database and the logs in ${home}; kept the keys`);
        if (outboxCleared !== null) info(`emptied the dev outbox of ${redactUrl(external!)} (${outboxCleared} codes); that database was otherwise left alone`);
      }
    });
}
