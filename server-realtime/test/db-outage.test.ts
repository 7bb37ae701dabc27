/**
 * Database outages (contract 1.1): while PostgreSQL is frozen, REST answers 503 db_unavailable with
 * Retry-After within the query timeout, WebSocket messages that need the database answer
 * db_unavailable, the handshake answers 503; once it thaws, both recover by themselves. A
 * database that does not accept connections (SQLSTATE 55000) counts as down too. The frozen server
 * is one this test starts itself (the embedded PostgreSQL binaries `drivrr up` uses): SIGSTOP of
 * its whole process group, SIGCONT, then stopped and its directory removed.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys } from '@drivrr/shared';
import { silentLogger } from '@drivrr/shared/logger';
import { migrateUp } from '@drivrr/migrations';
import { loadAuthConfig, startAuthServer, type AuthServer } from '@drivrr/server-auth';
import { loadRealtimeConfig, startRealtimeServer, type RealtimeServer } from '@drivrr/server-realtime';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../cli/src/platform/embedded-postgres.js';
import { createUser, startTestStack, tokenFor, type TestStack } from '../../test-support/stack.js';
import { connect, eventually, openSocket, refusedHandshake } from './support/client.js';

const QUERY_TIMEOUT_MS = 1_000;
const RIDE = { pickup: { lat: 24.8607, lng: 67.0011 }, dropoff: { lat: 24.9, lng: 67.1 }, fare: 150_000, paymentMethod: 'cash' };

describe('a frozen PostgreSQL', () => {
  let home: string;
  let postgres: EmbeddedPostgres;
  let auth: AuthServer;
  let realtime: RealtimeServer;
  let frozen = false;
  const keys = generateSigningKeys();
  const users: { customer: string; other: string } = { customer: '', other: '' };

  // PostgreSQL's backends each run in a process group of their own: signal the postmaster (first,
  // so it forks no new ones) and then every child of it.
  const signalServer = async (signal: NodeJS.Signals) => {
    process.kill(postgres.pid, signal);
    for (const child of await childrenOf(postgres.pid)) {
      try {
        process.kill(child, signal);
      } catch (error) {
        // A backend that ended between the listing and the signal (its client gave up) needs none.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
  };
  const freeze = async () => {
    frozen = true;
    await signalServer('SIGSTOP');
  };
  const thaw = async () => {
    if (frozen) await signalServer('SIGCONT');
    frozen = false;
  };

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'drivrr-outage-'));
    postgres = await startEmbeddedPostgres({ home });
    await migrateUp({ databaseUrl: postgres.url });
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    const insert = async (phone: string) => (await db.query<{ id: string }>(`INSERT INTO users (phone, role) VALUES ($1, 'customer') RETURNING id`, [phone])).rows[0]!.id;
    users.customer = await insert('+923001110001');
    users.other = await insert('+923001110002');
    await db.end();
    const env = {
      NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: postgres.url, JWT_PRIVATE_KEY: keys.privateKeyPem, JWT_PUBLIC_KEY: keys.publicKeyPem,
      AUTH_HOST: '127.0.0.1', REALTIME_HOST: '127.0.0.1', AUTH_PORT: '0', REALTIME_PORT: '0',
      DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS), DB_CONNECT_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
    };
    auth = await startAuthServer(loadAuthConfig(env), { logger: silentLogger });
    realtime = await startRealtimeServer(loadRealtimeConfig(env), { logger: silentLogger });
  }, 120_000);

  afterAll(async () => {
    await thaw();
    await realtime?.stop();
    await auth?.stop();
    await postgres?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  }, 60_000);

  it('answers 503 db_unavailable (REST, with Retry-After), db_unavailable (WebSocket) and 503 (handshake) within the timeout, then recovers', async () => {
    const customer = tokenFor(keys, users.customer, 'customer');
    const socket = await connect(realtime.wsUrl, customer);
    expect((await fetch(`${auth.url}/api/users/me`, { headers: { authorization: `Bearer ${customer}` } })).status).toBe(200);

    await freeze();
    const started = Date.now();
    const rest = await fetch(`${auth.url}/api/users/me`, { headers: { authorization: `Bearer ${customer}` } });
    const restTookMs = Date.now() - started;
    expect(rest.status).toBe(503);
    expect(((await rest.json()) as { error: { code: string } }).error.code).toBe('db_unavailable');
    expect(Number(rest.headers.get('retry-after'))).toBeGreaterThan(0);
    // the pool's timeouts bound the call (connect or query timeout, plus slack for a loaded machine)
    expect(restTookMs).toBeLessThan(QUERY_TIMEOUT_MS * 2 + 2_000);

    const answer = await socket.request('ride.request', RIDE);
    expect(answer.error?.code).toBe('db_unavailable');
    const handshake = await refusedHandshake(openSocket(realtime.wsUrl, tokenFor(keys, users.other, 'customer')));
    expect(handshake.status).toBe(503);
    expect(handshake.body.error.code).toBe('db_unavailable');

    await thaw();
    await eventually(async () => {
      expect((await fetch(`${auth.url}/api/users/me`, { headers: { authorization: `Bearer ${customer}` } })).status).toBe(200);
    }, 15_000);
    await eventually(async () => {
      expect((await socket.request('ride.request', RIDE)).type).toBe('ack');
    }, 15_000);
    const again = await connect(realtime.wsUrl, tokenFor(keys, users.other, 'customer'));
    await Promise.all([socket.close(), again.close()]);
  }, 60_000);
});

/** Pids whose parent is `pid` (Linux /proc). */
async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === pid) children.push(Number(entry));
  }
  return children;
}

describe('a database that does not accept connections (SQLSTATE 55000)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack.query(`ALTER DATABASE ${stack.db.name} ALLOW_CONNECTIONS true`).catch(() => {});
    await stack.stop();
  });

  it('counts as down: REST 503 db_unavailable and handshake 503, not 500', async () => {
    const customer = await createUser(stack, 'customer');
    // an admin connection to another database changes the flag and ends the services' sessions
    const admin = new pg.Client({ connectionString: stack.db.url.replace(/\/[^/]*$/, '/postgres') });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${stack.db.name} ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [stack.db.name]);

      await eventually(async () => {
        const rest = await fetch(`${stack.auth!.url}/api/users/me`, { headers: { authorization: `Bearer ${customer.token}` } });
        expect(rest.status).toBe(503);
        expect(((await rest.json()) as { error: { code: string } }).error.code).toBe('db_unavailable');
      });
      const handshake = await refusedHandshake(openSocket(stack.realtime!.wsUrl, customer.token));
      expect(handshake.status).toBe(503);
      expect(handshake.body.error.code).toBe('db_unavailable');
    } finally {
      await admin.query(`ALTER DATABASE ${stack.db.name} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
  });
});
