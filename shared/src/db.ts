/** PostgreSQL pool helpers shared by both services. SQL itself lives in each service's db/ repositories. */
import pg from 'pg';
import { envField } from './config.js';
import { AppError } from './errors.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

// bigint (int8) columns hold money in minor units, always well inside 2^53: read them as numbers.
pg.types.setTypeParser(20, (value) => Number(value));

export interface PoolOptions {
  max?: number;
  /** How long a query may wait for a connection before failing (ms). */
  connectionTimeoutMs?: number;
  /**
   * How long one statement may run (ms): PostgreSQL cancels it after this (statement_timeout), and
   * the client gives up waiting for an answer after it too (query_timeout), so a frozen or
   * unreachable server fails calls fast (db_unavailable) instead of hanging them.
   */
  queryTimeoutMs?: number;
  applicationName?: string;
}

/** The pool's timeouts, shared by both services' config modules (DB_CONNECT_TIMEOUT_MS, DB_QUERY_TIMEOUT_MS). */
export const databaseEnvShape = {
  /** How long a query waits for a connection (a new one, or a free one of the pool) before db_unavailable. */
  DB_CONNECT_TIMEOUT_MS: envField.int(2_000, 100, 120_000),
  /** How long one statement may take before it is cancelled and answered db_unavailable. */
  DB_QUERY_TIMEOUT_MS: envField.int(5_000, 100, 600_000),
};

export function poolTimeoutsFrom(e: { DB_CONNECT_TIMEOUT_MS: number; DB_QUERY_TIMEOUT_MS: number }): { connectionTimeoutMs: number; queryTimeoutMs: number } {
  return { connectionTimeoutMs: e.DB_CONNECT_TIMEOUT_MS, queryTimeoutMs: e.DB_QUERY_TIMEOUT_MS };
}

export function createPool(databaseUrl: string, options: PoolOptions = {}): pg.Pool {
  const queryTimeoutMs = options.queryTimeoutMs ?? 5_000;
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 2_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'drivrr',
    statement_timeout: queryTimeoutMs,
    query_timeout: queryTimeoutMs,
  });
  // An idle client losing its server (database restarted) must not crash the process.
  pool.on('error', () => {});
  // Nor one checked out between two queries (e.g. inside a transaction) when its backend is
  // terminated: pg emits that as the client's 'error' event, uncaught without a listener. The
  // next query on it fails with a connection error, and the pool drops it when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
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
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that timed out may still owe the answer of its last statement: drop it.
      broken = isConnectionError(error);
      if (!broken) await client.query('ROLLBACK').catch(() => {});
      const sqlstate = pgErrorCode(error);
      if (attempt < retries && sqlstate !== undefined && RETRYABLE_SQLSTATES.has(sqlstate)) {
        options.onRetry?.(sqlstate);
        continue;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

/**
 * SQLSTATEs (and socket errors) that mean "the database cannot serve us now", as opposed to a bad
 * query: connection exceptions (08xxx), the server not accepting connections (55000: e.g. the
 * database does not allow connections; 57P03: starting up), shutting down (57P01/57P02), too many
 * connections (53300), and a statement cancelled by our statement_timeout (57014).
 */
const UNAVAILABLE_CODES = new Set(['55000', '57P01', '57P02', '57P03', '53300', '57014', 'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE']);

/** True for errors meaning "the database is not reachable", as opposed to a bad query. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_CODES.has(code))) return true;
  const message = (error as Error | null)?.message ?? '';
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|database ping timed out|Query read timeout|Client has encountered a connection error/i.test(message);
}

/**
 * The answer to give for an error that means "the database is not reachable" (REST 503 with
 * Retry-After, a WebSocket `db_unavailable`); undefined for any other error.
 */
export function databaseDownError(error: unknown): AppError | undefined {
  return isConnectionError(error) ? new AppError('db_unavailable', 'the database is unavailable, try again shortly', { retryAfterS: 2 }) : undefined;
}

/** The PostgreSQL SQLSTATE of an error, when it has one. */
export function pgErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export const PG_UNIQUE_VIOLATION = '23505';
export const PG_CHECK_VIOLATION = '23514';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
