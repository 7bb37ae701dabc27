import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys } from '@drivrr/shared';
import { silentLogger } from '@drivrr/shared/logger';
import { loadAuthConfig, startAuthServer } from '@drivrr/server-auth';
import { loadRealtimeConfig, startRealtimeServer } from '@drivrr/server-realtime';
import { adminDatabaseUrl, createTestDatabase, type TestDatabase } from '../../test-support/db.js';

/** Blocks new connections to one database and ends the open ones, as if its server went away. */
async function cutOff(dbName: string, allow: boolean): Promise<void> {
  const admin = new pg.Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS ${allow}`);
    if (!allow) await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
  } finally {
    await admin.end();
  }
}

async function health(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/api/health`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface RunningService {
  url: string;
  stop(): Promise<void>;
}

/** Each service, started alone on port 0 against its own database. */
const services: { name: 'auth' | 'realtime'; start(databaseUrl: string): Promise<RunningService> }[] = [
  {
    name: 'auth',
    start(databaseUrl) {
      const keys = generateSigningKeys();
      return startAuthServer(
        loadAuthConfig({ NODE_ENV: 'test', DATABASE_URL: databaseUrl, JWT_PRIVATE_KEY: keys.privateKeyPem, JWT_PUBLIC_KEY: keys.publicKeyPem, AUTH_HOST: '127.0.0.1', AUTH_PORT: '0' }),
        { logger: silentLogger },
      );
    },
  },
  {
    name: 'realtime',
    start(databaseUrl) {
      const keys = generateSigningKeys();
      return startRealtimeServer(
        loadRealtimeConfig({ NODE_ENV: 'test', DATABASE_URL: databaseUrl, JWT_PUBLIC_KEY: keys.publicKeyPem, REALTIME_HOST: '127.0.0.1', REALTIME_PORT: '0' }),
        { logger: silentLogger },
      );
    },
  },
];

describe.each(services)('$name health while the database comes and goes', ({ name, start }) => {
  let db: TestDatabase;
  let service: RunningService;
  beforeAll(async () => {
    db = await createTestDatabase();
    service = await start(db.url);
  });
  afterAll(async () => {
    await service?.stop();
    await cutOff(db.name, true).catch(() => undefined);
    await db?.drop();
  });

  it('answers 503 degraded with db.ok false while the database refuses connections, then ok again when it returns', async () => {
    const before = await health(service.url);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ status: 'ok', db: { ok: true } });

    await cutOff(db.name, false);
    const during = await health(service.url);
    expect(during.status).toBe(503);
    expect(during.body).toMatchObject({ status: 'degraded', service: name, db: { ok: false, latencyMs: null } });
    expect(typeof during.body.version).toBe('string');

    await cutOff(db.name, true);
    const after = await health(service.url);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ status: 'ok', db: { ok: true } });
  });

  it('stays up and answers other routes in the contract error shape while degraded', async () => {
    await cutOff(db.name, false);
    try {
      expect((await health(service.url)).status).toBe(503);
      const res = await fetch(`${service.url}/api/nope`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    } finally {
      await cutOff(db.name, true);
    }
    expect((await health(service.url)).status).toBe(200);
  });
});
