/**
 * The shared pool against a real PostgreSQL whose backends go away (a restart, a failover, an
 * administrator): the service must keep running and answer with a connection error.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, isConnectionError } from '@drivrr/shared/db';
import { adminDatabaseUrl, createTestDatabase, type TestDatabase } from '../../test-support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await db?.drop();
});

describe('createPool', () => {
  it('survives the backend of a checked-out client being terminated between two queries, and drops that client', async () => {
    const pool = createPool(db.url);
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    const admin = new pg.Client({ connectionString: adminDatabaseUrl() });
    await admin.connect();
    try {
      // Arrange: a client checked out, idle between two statements of its work.
      const client = await pool.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));

      // Act: the server ends its backend.
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await ended;
      const next = await client.query('SELECT 1').then(() => undefined, (error: unknown) => error);
      client.release(next instanceof Error ? next : undefined);

      // Assert: no crash; the next query failed as a connection error; the pool works on a new client.
      expect(uncaught).toEqual([]);
      expect(isConnectionError(next)).toBe(true);
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    } finally {
      process.off('uncaughtException', onUncaught);
      await admin.end();
      await pool.end();
    }
  });
});
