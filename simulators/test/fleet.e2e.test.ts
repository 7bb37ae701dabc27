/**
 * A short fleet run against the real services: seeded drivers and customers log in through OTP,
 * haggle, ride and pay; the run must end with no protocol errors, completed rides, and nothing
 * left open (everyone logged off cleanly).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KARACHI_CENTER } from '@drivrr/shared';
import { runFleet, type FleetSummary, type LiveSnapshot } from '@drivrr/simulators';
import { startTestStack, type TestStack } from '../../test-support/stack.js';

let stack: TestStack;
let summary: FleetSummary;
const snapshots: LiveSnapshot[] = [];

beforeAll(async () => {
  stack = await startTestStack({
    authEnv: { OTP_TEST_PHONES: '+92399*=000000' },
    realtimeEnv: { MATCH_STEP_MS: '1000', BID_TTL_MS: '10000', REQUEST_TTL_MS: '20000' },
  });
  summary = await runFleet({
    authUrl: stack.auth!.url,
    wsUrl: stack.realtime!.wsUrl,
    drivers: 20,
    customers: 5,
    durationMs: 25_000,
    seed: 42,
    ratePerMin: 40,
    area: { center: KARACHI_CENTER, radiusM: 1500 },
    fixIntervalMs: 1000,
    timeScale: 60,
    // A third of the drivers send their fixes as apps in the background do (POST /api/locations).
    backgroundShare: 0.3,
    onProgress: (snapshot) => snapshots.push(snapshot),
  });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe('a short fleet run (20 drivers, 5 customers, 25 s)', () => {
  it('reports the cancellation fees its late cancels cost (the summary shape; how many depends on timing)', () => {
    expect(summary.cancellationFees.count).toBeLessThanOrEqual(summary.cancelled.byCustomer);
    expect(summary.cancellationFees.amount >= summary.cancellationFees.count * 5_000).toBe(true);
  });

  it('ends without a single protocol error', () => {
    expect(summary.protocolErrorSamples).toEqual([]);
    expect(summary.protocolErrors).toBe(0);
  });

  it('matches requests, haggles and completes rides', () => {
    expect(summary.requests).toBeGreaterThan(3);
    expect(summary.matched).toBeGreaterThan(0);
    expect(summary.bidsPlaced).toBeGreaterThan(0);
    expect(summary.completed).toBeGreaterThan(0);
    expect(summary.timeToAssignmentMs.count).toBe(summary.matched);
    expect(summary.locationUpdates).toBeGreaterThan(20 * 10);
  });

  it('sends the background share of the drivers\' fixes over HTTP, and they are accepted', () => {
    // 6 of the 20 drivers (0.3) send every fix over HTTP; a refused one would be a protocol error.
    expect(summary.backgroundFixes).toBeGreaterThan(6 * 10);
    expect(summary.backgroundFixes).toBeLessThan(summary.locationUpdates / 2);
  });

  it('stores what the simulated apps saw: completed rides are completed in the database, and rated', async () => {
    const { rows } = await stack.query<{ n: number }>(`SELECT count(*)::int AS n FROM rides WHERE status = 'completed'`);
    expect(rows[0]!.n).toBeGreaterThanOrEqual(summary.completed);
    const ratings = await stack.query<{ n: number }>(`SELECT count(*)::int AS n FROM ratings`);
    expect(ratings.rows[0]!.n).toBe(summary.ratings);
  });

  it('leaves nothing open after the clean stop: no live rides, no connected sockets', async () => {
    const { rows } = await stack.query<{ n: number }>(`SELECT count(*)::int AS n FROM rides WHERE status IN ('requested','assigned','arrived','in_progress')`);
    expect(rows[0]!.n).toBe(0);
    const health = (await (await fetch(`${stack.realtime!.url}/api/health`)).json()) as { connections: { drivers: number; customers: number } };
    expect(health.connections.drivers + health.connections.customers).toBe(0);
  });

  it('reported live progress while running', () => {
    expect(snapshots.length).toBeGreaterThan(10);
    expect(Math.max(...snapshots.map((s) => s.driversOnline))).toBe(20);
  });
});
