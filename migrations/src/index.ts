/**
 * The schema lives in `sql/` as plain SQL files run by node-pg-migrate. These functions are what
 * `drivrr migrate`, `drivrr up` and the tests call; the CLI is only a thin layer over them.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import pg from 'pg';
import { Migration, runner } from 'node-pg-migrate';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'sql');
export const MIGRATIONS_TABLE = 'pgmigrations';

export interface MigrateOptions {
  databaseUrl: string;
  /** How many to apply (up) or undo (down); all pending by default for up, one for down. */
  count?: number;
  /** Receives progress lines; silent when absent. */
  log?: (line: string) => void;
}

export interface MigrationRecord {
  name: string;
  runOn: Date | null;
}

function silentLogger(log?: (line: string) => void) {
  const write = (msg: string) => log?.(msg);
  return { debug: () => {}, info: write, warn: write, error: write };
}

/** How long a run waits for another runner's lock (two stacks starting on one database). */
const LOCK_WAIT_MS = 60_000;

async function run(direction: 'up' | 'down', options: MigrateOptions): Promise<string[]> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return await runOnce(direction, options);
    } catch (error) {
      // node-pg-migrate takes a try-lock and gives up at once when another run holds it: wait our turn
      const locked = /Another migration is already running/.test((error as Error)?.message ?? '');
      if (!locked || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 150));
    }
  }
}

async function runOnce(direction: 'up' | 'down', options: MigrateOptions): Promise<string[]> {
  const applied = await runner({
    databaseUrl: options.databaseUrl,
    dir: MIGRATIONS_DIR,
    migrationsTable: MIGRATIONS_TABLE,
    direction,
    count: options.count ?? (direction === 'down' ? 1 : Infinity),
    checkOrder: true,
    logger: silentLogger(options.log),
    verbose: false,
  });
  return applied.map((m) => m.name);
}

/** Applies pending migrations; returns the names applied (empty when up to date). */
export function migrateUp(options: MigrateOptions): Promise<string[]> {
  return run('up', options);
}

/** Undoes the last `count` (default 1) migrations; returns the names undone. */
export function migrateDown(options: MigrateOptions): Promise<string[]> {
  return run('down', options);
}

/** Every migration on disk with when it ran (null when pending), oldest first. */
export async function migrationStatus(databaseUrl: string): Promise<MigrationRecord[]> {
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const exists = await client.query<{ present: boolean }>(
      `SELECT to_regclass($1) IS NOT NULL AS present`,
      [MIGRATIONS_TABLE],
    );
    const ran = new Map<string, Date>();
    if (exists.rows[0]?.present) {
      const rows = await client.query<{ name: string; run_on: Date }>(`SELECT name, run_on FROM ${MIGRATIONS_TABLE}`);
      for (const row of rows.rows) ran.set(row.name, row.run_on);
    }
    return files.map((file) => {
      const name = file.replace(/\.sql$/, '');
      return { name, runOn: ran.get(name) ?? null };
    });
  } finally {
    await client.end();
  }
}

/** Writes a new empty SQL migration (with Up/Down sections) and returns its path. */
export async function createMigration(name: string, dir: string = MIGRATIONS_DIR): Promise<string> {
  if (!/^[a-z0-9][a-z0-9-_]{0,80}$/.test(name)) {
    throw new Error(`migration names are lower-case words joined by "-" (got "${name}")`);
  }
  return Migration.create(name, dir, { language: 'sql' });
}
