/** `drivrr migrate up|down|status|create`: a thin layer over @drivrr/migrations. */
import path from 'node:path';
import type { Command } from 'commander';
import { createMigration, migrateDown, migrateUp, migrationStatus, MIGRATIONS_DIR } from '@drivrr/migrations';
import { isConnectionError } from '@drivrr/shared/db';
import { CliError, colorOut, formatTable, info, printJson, printLine } from '../output.js';
import { parsePositiveInt } from '../platform/options.js';
import { confirmOrStop } from '../prompts.js';
import { redactUrl } from '../platform/stack.js';
import { resolveEndpoints } from '../stack-state.js';

async function databaseUrl(flag: string | undefined): Promise<string> {
  const { databaseUrl } = await resolveEndpoints({ databaseUrl: flag });
  if (!databaseUrl) {
    throw new CliError('no database: pass --database-url, set DATABASE_URL, or start a stack with "drivrr up"');
  }
  return databaseUrl;
}

/** One line for a failed migration run: unreachable database vs. a failing migration. */
function explain(error: unknown, url: string): CliError {
  if (error instanceof CliError) return error;
  const message = (error as Error)?.message?.split('\n')[0] ?? String(error);
  if (isConnectionError(error) || /ECONNREFUSED|ENOTFOUND|does not exist|password authentication/.test(message)) {
    return new CliError(`cannot reach the database at ${redactUrl(url)}: ${message}`);
  }
  return new CliError(`migration failed: ${message}`);
}

export function register(program: Command): void {
  const migrate = program
    .command('migrate')
    .description('Apply, undo, list and create database migrations (SQL files in migrations/sql)')
    .option('--database-url <url>', 'database to migrate (default: $DATABASE_URL, else the running stack\'s)')
    .addHelpText(
      'after',
      `
Examples:
  $ npx drivrr migrate status
  $ npx drivrr migrate up
  $ npx drivrr migrate down --count 2        # asks first; --yes in scripts
  $ npx drivrr migrate create add-promo-codes
  $ DATABASE_URL=postgres://postgres@127.0.0.1:5432/drivrr npx drivrr migrate status --json

Exit codes: 0 ok, 1 failure (unreachable database, failing migration), 2 bad usage.`,
    );
  const url = (command: Command) => databaseUrl((command.optsWithGlobals() as { databaseUrl?: string }).databaseUrl);

  migrate
    .command('up')
    .description('apply pending migrations (all, or --count N)')
    .option('--count <n>', 'apply at most this many', parsePositiveInt)
    .option('--json', 'print {applied: [names]} as JSON')
    .action(async (flags: { count?: number; json?: boolean }, command: Command) => {
      const databaseUrl = await url(command);
      const applied = await migrateUp({ databaseUrl, count: flags.count }).catch((error: unknown) => {
        throw explain(error, databaseUrl);
      });
      if (flags.json) printJson({ applied });
      else info(applied.length ? `applied ${applied.length}: ${applied.join(', ')}` : 'nothing to apply: the schema is up to date');
    });

  migrate
    .command('down')
    .description('undo the last migration (or the last --count N)')
    .option('--count <n>', 'undo this many', parsePositiveInt, 1)
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('--json', 'print {undone: [names]} as JSON')
    .action(async (flags: { count: number; yes?: boolean; json?: boolean }, command: Command) => {
      const databaseUrl = await url(command);
      await confirmOrStop(`Undo the last ${flags.count === 1 ? 'migration' : `${flags.count} migrations`} on ${redactUrl(databaseUrl)}? Their tables and data are dropped.`, { yes: flags.yes, flag: '--yes' });
      const undone = await migrateDown({ databaseUrl, count: flags.count }).catch((error: unknown) => {
        throw explain(error, databaseUrl);
      });
      if (flags.json) printJson({ undone });
      else info(undone.length ? `undone ${undone.length}: ${undone.join(', ')}` : 'nothing to undo');
    });

  migrate
    .command('status')
    .description('list every migration and when it ran')
    .option('--json', 'print {migrations: [{name, runOn}], pending} as JSON (runOn: ISO time, or null when pending)')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const databaseUrl = await url(command);
      const status = await migrationStatus(databaseUrl).catch((error: unknown) => {
        throw explain(error, databaseUrl);
      });
      if (flags.json) {
        printJson({ migrations: status.map((m) => ({ name: m.name, runOn: m.runOn?.toISOString() ?? null })), pending: status.filter((m) => !m.runOn).length });
        return;
      }
      printLine(formatTable(['MIGRATION', 'APPLIED'], status.map((m) => [m.name, m.runOn ? m.runOn.toISOString() : colorOut.yellow('pending')])));
    });

  migrate
    .command('create')
    .description('write a new empty SQL migration with Up and Down sections')
    .argument('<name>', 'lower-case words joined by "-", e.g. add-promo-codes')
    .option('--dir <dir>', 'where to write it', MIGRATIONS_DIR)
    .option('--json', 'print {file} as JSON')
    .action(async (name: string, flags: { dir: string; json?: boolean }) => {
      const file = await createMigration(name, path.resolve(flags.dir)).catch((error: unknown) => {
        throw new CliError((error as Error).message);
      });
      if (flags.json) printJson({ file });
      else printLine(file);
    });
}
