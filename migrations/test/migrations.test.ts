import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDown, migrateUp, migrationStatus, createMigration } from '@drivrr/migrations';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../test-support/db.js';

const EXPECTED_TABLES = [
  'addresses', 'bids', 'dev_sms_outbox', 'ledger_accounts', 'ledger_entries', 'ledger_transactions', 'otp_codes',
  'rate_limits', 'ratings', 'refresh_tokens', 'revoked_sessions', 'ride_event_seqs', 'ride_events', 'ride_messages', 'ride_offers', 'ride_share_links', 'rides', 'users', 'vehicles',
];

async function tables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'pgmigrations' ORDER BY 1`,
    );
    return rows.map((r) => r.tablename);
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => db.drop());

  it('apply every table on an empty database, report them applied, and are idempotent', async () => {
    const applied = await migrateUp({ databaseUrl: db.url });
    expect(applied.length).toBeGreaterThan(0);
    expect(await tables(db.url)).toEqual(EXPECTED_TABLES);
    const status = await migrationStatus(db.url);
    expect(status.every((m) => m.runOn instanceof Date)).toBe(true);
    expect(await migrateUp({ databaseUrl: db.url })).toEqual([]);
  });

  it('go down to an empty schema and back up again', async () => {
    const status = await migrationStatus(db.url);
    const undone = await migrateDown({ databaseUrl: db.url, count: status.length });
    expect(undone).toHaveLength(status.length);
    expect(await tables(db.url)).toEqual([]);
    expect((await migrationStatus(db.url)).every((m) => m.runOn === null)).toBe(true);
    await migrateUp({ databaseUrl: db.url });
    expect(await tables(db.url)).toEqual(EXPECTED_TABLES);
  });

  it('let the database refuse what the domain must never store', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`INSERT INTO users (phone, role) VALUES ('+923001234567', 'customer')`);
      await client.query(`INSERT INTO users (phone, role) VALUES ('+923001234567', 'driver')`);
      await expect(client.query(`INSERT INTO users (phone, role) VALUES ('+923001234567', 'customer')`)).rejects.toThrow(/users_phone_role_unique/);
      await expect(client.query(`INSERT INTO users (phone, role) VALUES ('03001234567', 'customer')`)).rejects.toThrow(/check constraint/);
      await expect(client.query(`INSERT INTO users (phone, role) VALUES ('+923009999999', 'admin')`)).rejects.toThrow(/check constraint/);
      await expect(
        client.query(`INSERT INTO ledger_accounts (owner_id, kind, currency, balance) SELECT id, 'customer_wallet', 'PKR', -1 FROM users LIMIT 1`),
      ).rejects.toThrow(/ledger_accounts_customer_non_negative/);
      // an unbalanced ledger transaction is refused at commit
      await client.query('BEGIN');
      const acct = await client.query<{ id: string }>(`INSERT INTO ledger_accounts (kind, currency) VALUES ('external_funding', 'PKR') RETURNING id`);
      const tx = await client.query<{ id: string }>(`INSERT INTO ledger_transactions (kind, amount, currency) VALUES ('wallet_topup', 100, 'PKR') RETURNING id`);
      await client.query(`INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES ($1, $2, -100, -100)`, [tx.rows[0]!.id, acct.rows[0]!.id]);
      await expect(client.query('COMMIT')).rejects.toThrow(/does not balance/);
    } finally {
      await client.end();
    }
  });

  it('create new SQL migrations with up and down sections', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'drivrr-mig-'));
    try {
      const file = await createMigration('add-promo-codes', dir);
      expect(path.basename(file)).toMatch(/^\d+_add-promo-codes\.sql$/);
      const text = await readFile(file, 'utf8');
      expect(text).toMatch(/Up Migration/);
      expect(text).toMatch(/Down Migration/);
      await expect(createMigration('Bad Name!', dir)).rejects.toThrow(/lower-case/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('migrations run twice at once', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => db.drop());

  it('apply each migration exactly once when two runners race (two stacks starting on one database)', async () => {
    const [first, second] = await Promise.all([migrateUp({ databaseUrl: db.url }), migrateUp({ databaseUrl: db.url })]);
    const status = await migrationStatus(db.url);
    expect([...first, ...second].sort()).toEqual(status.map((m) => m.name).sort());
    expect(status.every((m) => m.runOn instanceof Date)).toBe(true);
    expect(await tables(db.url)).toEqual(EXPECTED_TABLES);
  });
});
