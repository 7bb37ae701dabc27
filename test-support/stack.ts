/**
 * A real Drivrr stack for tests: a fresh migrated database, a generated signing key pair, and
 * both services started in-process on port 0. Everything is torn down by `stop()`.
 */
import pg from 'pg';
import { generateSigningKeys, signAccessToken, type SigningKeys } from '@drivrr/shared';
import type { Role } from '@drivrr/shared/protocol';
import { loadAuthConfig, startAuthServer, type AuthServer } from '@drivrr/server-auth';
import { loadRealtimeConfig, startRealtimeServer, type RealtimeModuleFactory, type RealtimeServer, type RideClock, type SessionClock } from '@drivrr/server-realtime';
import { silentLogger } from '@drivrr/shared/logger';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface TestStack {
  db: TestDatabase;
  keys: SigningKeys;
  auth: AuthServer | undefined;
  realtime: RealtimeServer | undefined;
  /** Base env both services were started with (DATABASE_URL, keys, ports 0). */
  env: Record<string, string>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  stop(): Promise<void>;
}

export interface StackOptions {
  auth?: boolean;
  realtime?: boolean;
  /** Extra env for the auth service (e.g. TEST_PHONES). */
  authEnv?: Record<string, string>;
  /** Extra env for the realtime service. */
  realtimeEnv?: Record<string, string>;
  /** Feature modules of the realtime service instead of the default list (server-realtime/src/modules.ts). */
  realtimeModules?: RealtimeModuleFactory[];
  /** The realtime service's rides clock (a VirtualClock lets a test move time); default the system clock. */
  realtimeClock?: RideClock;
  /** The clock of the realtime service's socket lifetimes (a ManualClock to drive token expiry). */
  sessionClock?: SessionClock;
}

export async function startTestStack(options: StackOptions = {}): Promise<TestStack> {
  const db = await createTestDatabase();
  const keys = generateSigningKeys();
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: db.url,
    JWT_PRIVATE_KEY: keys.privateKeyPem,
    JWT_PUBLIC_KEY: keys.publicKeyPem,
    AUTH_HOST: '127.0.0.1',
    REALTIME_HOST: '127.0.0.1',
    AUTH_PORT: '0',
    REALTIME_PORT: '0',
    // as `drivrr up` does: any +92399... phone logs in with 000000 (see loginViaOtp)
    OTP_TEST_PHONES: TEST_PHONE_RULE,
    OPERATOR_PHONES: '+923990000000',
  };
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  // drop() terminates the database's sessions (WITH FORCE); a client still closing must not crash the run.
  pool.on('error', () => {});
  let auth: AuthServer | undefined;
  let realtime: RealtimeServer | undefined;
  try {
    if (options.auth !== false) auth = await startAuthServer(loadAuthConfig({ ...env, ...options.authEnv }), { logger: silentLogger });
    if (options.realtime !== false) realtime = await startRealtimeServer(loadRealtimeConfig({ ...env, ...options.realtimeEnv }), {
        logger: silentLogger,
        ...(options.realtimeModules ? { modules: options.realtimeModules } : {}),
        ...(options.realtimeClock ? { clock: options.realtimeClock } : {}),
        ...(options.sessionClock ? { sessionClock: options.sessionClock } : {}),
      });
  } catch (error) {
    await auth?.stop();
    await pool.end();
    await db.drop();
    throw error;
  }
  return {
    db,
    keys,
    auth,
    realtime,
    env,
    query: (sql, params) => pool.query(sql, params),
    async stop() {
      await realtime?.stop();
      await auth?.stop();
      await pool.end();
      await db.drop();
    },
  };
}

let phoneCounter = 0;
/** A unique, valid E.164 Pakistani mobile number for this test process. */
export function uniquePhone(): string {
  phoneCounter += 1;
  const n = (process.pid % 1000) * 10000 + phoneCounter;
  return `+92300${String(n).padStart(7, '0')}`;
}

export interface TestUser {
  id: string;
  phone: string;
  role: Role;
  token: string;
}

/**
 * Inserts a user straight into the database and signs a real access token for it with the
 * stack's key: a fixture for tests of other features than login (login itself is tested through OTP).
 */
export async function createUser(
  stack: TestStack,
  role: Role,
  fields: { name?: string; vehicle?: boolean; vehicleType?: 'car' | 'bike' | 'rickshaw' } = {},
): Promise<TestUser> {
  const phone = uniquePhone();
  const { rows } = await stack.query<{ id: string }>(
    `INSERT INTO users (phone, role, name) VALUES ($1, $2, $3) RETURNING id`,
    [phone, role, fields.name ?? `Test ${role} ${phoneCounter}`],
  );
  const id = rows[0]!.id;
  if (role === 'driver' && fields.vehicle !== false) {
    await stack.query(
      `INSERT INTO vehicles (driver_id, make, model, color, plate, type) VALUES ($1, 'Suzuki', 'Alto', 'White', $2, $3)`,
      [id, `KHI-${phoneCounter}`, fields.vehicleType ?? 'car'],
    );
  }
  return { id, phone, role, token: tokenFor(stack.keys, id, role) };
}

export function tokenFor(keys: SigningKeys, userId: string, role: Role, ttlS?: number): string {
  return signAccessToken({ sub: userId, role }, { privateKey: keys.privateKeyPem, kid: keys.kid }, ttlS).token;
}

/** The test phone prefix and fixed code the test stack (like `drivrr up`) configures. */
export const TEST_PHONE_PREFIX = '+92399';
export const TEST_PHONE_CODE = '000000';
const TEST_PHONE_RULE = `${TEST_PHONE_PREFIX}*=${TEST_PHONE_CODE}`;

let testPhoneCounter = 0;
/** A unique test phone (fixed code 000000, no send limits) for this test process. */
export function uniqueTestPhone(): string {
  testPhoneCounter += 1;
  const n = (process.pid % 1000) * 10000 + testPhoneCounter;
  return `${TEST_PHONE_PREFIX}${String(n).padStart(7, '0')}`;
}

/**
 * Logs in through the real OTP endpoints (send, then verify with the test phone's fixed code).
 * Returns the verify answer: `{accessToken, refreshToken, expiresInS, user, isNewUser}`.
 */
export async function loginViaOtp(
  stack: TestStack,
  phone: string = uniqueTestPhone(),
  role: Role = 'customer',
  code: string = TEST_PHONE_CODE,
): Promise<{ accessToken: string; refreshToken: string; expiresInS: number; isNewUser: boolean; user: { id: string; phone: string; role: Role } }> {
  if (!stack.auth) throw new Error('loginViaOtp needs the auth service');
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${stack.auth!.url}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const json: unknown = await res.json();
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  await post('/api/auth/otp/send', { phone, role });
  return (await post('/api/auth/otp/verify', { phone, role, code })) as Awaited<ReturnType<typeof loginViaOtp>>;
}
