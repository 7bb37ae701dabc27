/**
 * A fresh PostgreSQL database per test file, migrated to the latest schema, dropped afterwards.
 * Uses TEST_DATABASE_URL (an admin connection, default the local server on 5432); the global
 * setup starts an embedded PostgreSQL instead when no server answers there.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrateUp } from '@drivrr/migrations';

export function adminDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function databaseUrlFor(name: string): string {
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `drivrr_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrlFor(name);
  if (options.migrate !== false) await migrateUp({ databaseUrl: url });
  return {
    name,
    url,
    async drop() {
      const client = new pg.Client({ connectionString: adminDatabaseUrl() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
