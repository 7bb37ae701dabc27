/** `drivrr migrate` as a subprocess against a fresh database. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test-support/db.js';
import { drivrr, freePort, requireBuilt } from './helpers.js';

describe('drivrr migrate', () => {
  let db: TestDatabase;
  let home: string;
  beforeAll(async () => {
    requireBuilt();
    db = await createTestDatabase({ migrate: false });
    home = await mkdtemp(path.join(os.tmpdir(), 'drivrr-migrate-'));
  });
  afterAll(async () => {
    await db?.drop();
    await rm(home, { recursive: true, force: true });
  });

  it('lists pending migrations, applies them, undoes the last and re-applies it', async () => {
    const env = { DATABASE_URL: db.url, DRIVRR_HOME: home };
    const pending = await drivrr(['migrate', 'status', '--json'], env);
    expect(pending.code).toBe(0);
    const before = JSON.parse(pending.stdout);
    expect(before.pending).toBeGreaterThan(0);
    expect(before.migrations.every((m: { runOn: string | null }) => m.runOn === null)).toBe(true);

    const up = await drivrr(['migrate', 'up', '--json'], env);
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout).applied).toEqual(before.migrations.map((m: { name: string }) => m.name));
    expect(JSON.parse((await drivrr(['migrate', 'status', '--json'], env)).stdout).pending).toBe(0);

    const unconfirmed = await drivrr(['migrate', 'down', '--json'], env);
    expect(unconfirmed.code).toBe(2);
    expect(JSON.parse(unconfirmed.stderr).error.message).toContain('pass --yes');
    expect(JSON.parse((await drivrr(['migrate', 'status', '--json'], env)).stdout).pending).toBe(0);

    const down = await drivrr(['migrate', 'down', '--yes', '--json'], env);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout).undone).toEqual([before.migrations.at(-1).name]);
    expect(JSON.parse((await drivrr(['migrate', 'status', '--json'], env)).stdout).pending).toBe(1);

    const again = await drivrr(['migrate', 'up'], env);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^applied 1: /);
    const table = await drivrr(['migrate', 'status'], env);
    expect(table.stdout).toMatch(/^MIGRATION\s+APPLIED\n/);
    expect(table.stdout).not.toContain('pending');
  }, 90_000); // nine processes run one after the other

  it('takes the database from --database-url over the environment', async () => {
    const res = await drivrr(['migrate', '--database-url', db.url, 'status', '--json'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DRIVRR_HOME: home });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).pending).toBe(0);
  });

  it('says in one line when there is no database or it cannot be reached', async () => {
    const none = await drivrr(['migrate', 'status'], { DATABASE_URL: undefined, DRIVRR_HOME: home });
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe('error: no database: pass --database-url, set DATABASE_URL, or start a stack with "drivrr up"');

    const port = await freePort();
    const unreachable = await drivrr(['migrate', 'up'], { DATABASE_URL: `postgres://postgres:pw@127.0.0.1:${port}/x`, DRIVRR_HOME: home });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
    expect(unreachable.stderr).toContain(`cannot reach the database at postgres://postgres:***@127.0.0.1:${port}/x`);
  });

  it('creates a migration file with a timestamped name and refuses bad names', async () => {
    const dir = path.join(home, 'sql');
    const created = await drivrr(['migrate', 'create', 'add-promo-codes', '--dir', dir, '--json']);
    expect(created.code).toBe(0);
    expect(path.basename(JSON.parse(created.stdout).file)).toMatch(/^\d+_add-promo-codes\.sql$/);
    expect(await readdir(dir)).toHaveLength(1);
    const bad = await drivrr(['migrate', 'create', 'Bad Name', '--dir', dir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^error: migration names are lower-case/);
    expect(await readdir(dir)).toHaveLength(1);
  });
});
