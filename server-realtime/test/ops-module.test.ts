/**
 * The ops module through its seams (ws/contracts.ts) with a real database: in-memory router,
 * notifier and presence stand in for the transport, which ops-channel.test.ts covers for real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '@drivrr/shared/db';
import { silentLogger } from '@drivrr/shared/logger';
import type { OpsSnapshot } from '@drivrr/shared/protocol';
import { createTestDatabase, type TestDatabase } from '../../test-support/db.js';
import { insertRide } from '../../test-support/ride-fixtures.js';
import { createOpsModule, SKIP_WHEN_QUEUED_BYTES, type OpsModule } from '../src/ops/module.js';
import type { DriverPresenceInfo, HandlerContext, MessageHandler, Notifier } from '../src/ws/contracts.js';

const OP = '00000000-0000-4000-8000-0000000000f1';
const SLOW = '00000000-0000-4000-8000-0000000000f2';
const INTERVAL = 50;

let db: TestDatabase;
let pool: Pool;
let ops: OpsModule;
const handlers = new Map<string, MessageHandler<never>>();
const received = new Map<string, OpsSnapshot[]>();
const queued = new Map<string, number>();
const drivers: DriverPresenceInfo[] = [];
const locationListeners: ((info: DriverPresenceInfo) => void)[] = [];

const notifier: Notifier = {
  notify(userId, type, data) {
    if (type === 'ops.snapshot') received.get(userId)?.push(data as OpsSnapshot);
    return true;
  },
  isConnected: (userId) => received.has(userId),
  queuedBytes: (userId) => queued.get(userId) ?? 0,
};

function call(type: string, userId: string, role: 'operator' | 'customer', data: unknown = {}): Promise<unknown> {
  const ctx: HandlerContext = { caller: { userId, role }, messageId: undefined };
  return Promise.resolve((handlers.get(type) as unknown as (c: HandlerContext, d: unknown) => unknown)(ctx, data));
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 2 });
  ops = createOpsModule({
    router: { on: (type, handler) => void handlers.set(type, handler as MessageHandler<never>) },
    notifier,
    presence: {
      get: (id) => drivers.find((d) => d.driverId === id),
      nearestIdle: () => [],
      setActivity: () => {},
      onlineCount: () => drivers.length,
      all: () => drivers,
      onDriverOffline: () => {},
      onDriverLocation: (listener) => void locationListeners.push(listener),
    },
    follows: { follow: () => {}, unfollow: () => {} },
    addSessionState: () => {},
    pool,
    logger: silentLogger,
    config: { ops: { snapshotIntervalMs: INTERVAL, boardIntervalMs: 100, maxDrivers: 100, mapDir: undefined } },
  });
});

afterAll(async () => {
  await ops?.stop?.();
  await pool?.end();
  await db?.drop();
});

describe('the ops module', () => {
  it('registers only operator messages, and refuses other roles', async () => {
    expect([...handlers.keys()].sort()).toEqual(['ops.ride', 'ops.subscribe', 'ops.unsubscribe']);
    await expect(call('ops.subscribe', OP, 'customer')).rejects.toMatchObject({ code: 'forbidden' });
    expect(ops.subscriberCount()).toBe(0);
  });

  it('skips a snapshot for an operator whose socket has not drained, and resumes when it has', async () => {
    received.set(OP, []);
    received.set(SLOW, []);
    queued.set(SLOW, SKIP_WHEN_QUEUED_BYTES + 1);
    await call('ops.subscribe', OP, 'operator');
    await call('ops.subscribe', SLOW, 'operator');
    const move = setInterval(() => {
      drivers.splice(0, drivers.length, { driverId: '00000000-0000-4000-8000-000000000001', location: { lat: 24.86 + Math.random() / 100, lng: 67 }, heading: null, activity: 'idle', updatedAt: Date.now() });
      for (const listener of locationListeners) listener(drivers[0]!);
    }, 10);
    try {
      await sleep(20 * INTERVAL);
      const fast = received.get(OP)!.length;
      expect(fast).toBeGreaterThanOrEqual(5);
      expect(received.get(SLOW)!.length).toBe(0);
      expect(ops.skippedSnapshots()).toBeGreaterThanOrEqual(5);
      queued.set(SLOW, 0);
      await expect.poll(() => received.get(SLOW)!.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
    } finally {
      clearInterval(move);
    }
  });

  it('forgets operators that disconnected and stops its timers when nobody watches', async () => {
    received.delete(OP);
    received.delete(SLOW);
    drivers.length = 0;
    for (const listener of locationListeners) listener({ driverId: 'x', location: { lat: 0, lng: 0 }, heading: null, activity: 'idle', updatedAt: 0 });
    await sleep(4 * INTERVAL);
    expect(ops.subscriberCount()).toBe(0);
  });

  it('gives a new subscriber a fresh picture after nobody watched for a while', async () => {
    const { rows } = await pool.query<{ id: string }>(`INSERT INTO users (phone, role, name) VALUES ('+923001112233', 'customer', 'C') RETURNING id`);
    await insertRide(pool, { customerId: rows[0]!.id, status: 'requested' });
    await sleep(300); // longer than two board intervals, with the timers paused
    received.set(OP, []);
    await call('ops.subscribe', OP, 'operator');
    await expect.poll(() => received.get(OP)!.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
    const [first] = received.get(OP)!;
    expect(first?.counters.requestsOpen).toBe(1);
    expect(first?.requests).toHaveLength(1);
  });
});
