/** PostgreSQL pool helpers shared by both services. SQL itself lives in each service's db/ repositories. */
import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

// bigint (int8) columns hold money in minor units, always well inside 2^53: read them as numbers.
pg.types.setTypeParser(20, (value) => Number(value));

export interface PoolOptions {
  max?: number;
  /** How long a query may wait for a connection before failing (ms). */
  connectionTimeoutMs?: number;
  applicationName?: string;
}

export function createPool(databaseUrl: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 2_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'drivrr',
  });
  // An idle client losing its server (database restarted) must not crash the process.
  pool.on('error', () => {});
  return pool;
}

export interface DbHealth {
  ok: boolean;
  latencyMs: number | null;
}

/** One `SELECT 1` with a deadline; never throws. */
export async function pingDatabase(pool: pg.Pool, timeoutMs = 1_000): Promise<DbHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      pool.query('SELECT 1'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('database ping timed out')), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch {
    return { ok: false, latencyMs: null };
  } finally {
    clearTimeout(timer);
  }
}

/** SQLSTATEs after which the whole transaction may simply be run again: deadlock, serialization failure. */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);

export interface TransactionOptions {
  /** How many times to run `work` again when PostgreSQL aborted it for a deadlock or a serialization failure (default 0). */
  retries?: number;
  /** Told of each retry, e.g. to count them. */
  onRetry?: (sqlstate: string) => void;
}

/**
 * Runs `work` inside BEGIN/COMMIT on one client, rolling back on any error. With `retries`, a
 * transaction aborted for a deadlock or serialization failure is run again from the start, so
 * `work` must only touch the database through `client`.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const retries = options.retries ?? 0;
  for (let attempt = 0; ; attempt += 1) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      const sqlstate = pgErrorCode(error);
      if (attempt < retries && sqlstate !== undefined && RETRYABLE_SQLSTATES.has(sqlstate)) {
        options.onRetry?.(sqlstate);
        continue;
      }
      throw error;
    } finally {
      client.release();
    }
  }
}

/** True for errors meaning "the database is not reachable", as opposed to a bad query. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  if (typeof code === 'string' && (code.startsWith('08') || code === '57P01' || code === '57P03' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ENOTFOUND' || code === 'ETIMEDOUT')) return true;
  const message = (error as Error | null)?.message ?? '';
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|database ping timed out/i.test(message);
}

/** The PostgreSQL SQLSTATE of an error, when it has one. */
export function pgErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export const PG_UNIQUE_VIOLATION = '23505';
export const PG_CHECK_VIOLATION = '23514';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
