/**
 * A seeded, model-based test of the rides module against the real realtime service and
 * PostgreSQL: random interleavings of requests, bids, counter-offers, raises, accepts (repeated
 * taps, and an accept sent in one write with several cancels), cancels by either side, the ride's
 * steps, time passing (search steps, bid and request expiries, on a virtual clock, racing the
 * moves), and reconnects with session.resume, from several customers and drivers at once.
 * After every step the database, what the service holds in memory (who is on a ride, who follows
 * whom) and what each app was told must agree. A failing seed is printed so the run can be repeated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KARACHI_CENTER, moveM } from '@drivrr/shared';
import type { LatLng } from '@drivrr/shared/protocol';
import { VirtualClock, type RealtimeServer } from '@drivrr/server-realtime';
import { createUser, startTestStack, type TestStack, type TestUser } from '../../../test-support/stack.js';
import { WsTestClient, type Frame } from './support/ws-client.js';

const PICKUP: LatLng = KARACHI_CENTER;
const DROPOFF: LatLng = moveM(KARACHI_CENTER, 45, 6_000);
const FARE = 60_000;
const ENGAGED = ['assigned', 'arrived', 'in_progress'];

const TIMES = { MATCH_STEP_MS: '1000', BID_TTL_MS: '8000', REQUEST_TTL_MS: '20000' };
const clock = new VirtualClock();
let stack: TestStack;
let realtime: RealtimeServer;
const clients = new Set<WsTestClient>();

beforeAll(async () => {
  // Time is virtual: it passes (search steps, bid and request expiries) only as a seed's move.
  stack = await startTestStack({ auth: false, realtimeClock: clock, realtimeEnv: { WS_RATE_PER_S: '1000', WS_RATE_BURST: '1000', ...TIMES } });
  realtime = stack.realtime!;
});
afterAll(async () => {
  await Promise.all([...clients].map((c) => c.close()));
  await stack.stop();
});

/** mulberry32: a small seeded generator, so a failing run can be replayed from its seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface App {
  user: TestUser;
  client: WsTestClient;
  /** Frames of the app's earlier connections (what the app has applied). */
  earlier: Frame[];
}

/** Every ride frame the app received, over all its connections. */
function rideFrames(app: App): Frame[] {
  return [...app.earlier, ...app.client.frames].filter((f) => f.seq !== undefined);
}

async function connect(user: TestUser, earlier: Frame[] = []): Promise<App> {
  const { client } = await WsTestClient.session(realtime.wsUrl, user.token);
  clients.add(client);
  if (user.role === 'driver') await client.request('driver.online', moveM(PICKUP, (user.id.charCodeAt(0) * 37) % 360, 300));
  return { user, client, earlier };
}

/** Drops the connection and comes back as an app would: session.resume for each ride it knows, from the last seq it applied. */
async function reconnect(app: App): Promise<void> {
  await app.client.close();
  clients.delete(app.client);
  const earlier = [...app.earlier, ...app.client.frames];
  Object.assign(app, await connect(app.user, earlier));
  const lastSeq = new Map<string, number>();
  for (const f of rideFrames(app)) {
    const rideId = rideIdOf(f);
    lastSeq.set(rideId, Math.max(lastSeq.get(rideId) ?? 0, f.seq!));
  }
  for (const [rideId, seq] of lastSeq) await app.client.request('session.resume', { rideId, seq });
}

function rideIdOf(f: Frame): string {
  const data = f.data as { rideId?: string; ride?: { id: string } };
  return data.rideId ?? data.ride!.id;
}

interface RideRow {
  id: string;
  status: string;
  customer_id: string;
  driver_id: string | null;
  accepted_bid_id: string | null;
  cancelled_by: string | null;
}

async function ridesOf(customerIds: string[]): Promise<RideRow[]> {
  const { rows } = await stack.query<RideRow>(`SELECT id, status, customer_id, driver_id, accepted_bid_id, cancelled_by FROM rides WHERE customer_id = ANY($1::uuid[]) ORDER BY created_at`, [customerIds]);
  return rows;
}

/** Until every frame announced so far has had the chance to arrive (one round trip per app). */
async function settle(apps: App[]): Promise<void> {
  await Promise.all(apps.map((app) => app.client.request('ping', {})));
}

async function checkInvariants(customers: App[], drivers: App[], where: string): Promise<void> {
  await settle([...customers, ...drivers]);
  const rides = await ridesOf(customers.map((c) => c.user.id));
  const follows = realtime.inspect.follows as unknown as { following(followerId: string): string[] };
  for (const driver of drivers) {
    const engaged = rides.filter((r) => r.driver_id === driver.user.id && ENGAGED.includes(r.status));
    expect(engaged.length, `${where}: driver on at most one ride`).toBeLessThanOrEqual(1);
    const activity = realtime.inspect.presence.get(driver.user.id)?.activity;
    expect(activity, `${where}: driver ${driver.user.id} busy exactly while on a ride`).toBe(engaged.length === 1 ? 'on_ride' : 'idle');
  }
  for (const customer of customers) {
    const engaged = rides.filter((r) => r.customer_id === customer.user.id && ENGAGED.includes(r.status));
    expect(follows.following(customer.user.id), `${where}: customer ${customer.user.id} follows only the driver of its ride`).toEqual(engaged.map((r) => r.driver_id));
  }
  const { rows: bids } = await stack.query<{ ride_id: string; status: string; id: string }>(
    `SELECT b.id, b.ride_id, b.status FROM bids b JOIN rides r ON r.id = b.ride_id WHERE r.customer_id = ANY($1::uuid[])`,
    [customers.map((c) => c.user.id)],
  );
  for (const ride of rides) {
    const ofRide = bids.filter((b) => b.ride_id === ride.id);
    const accepted = ofRide.filter((b) => b.status === 'accepted');
    expect(accepted.length, `${where}: one accepted bid at most`).toBeLessThanOrEqual(1);
    if (ride.status !== 'requested') expect(ofRide.filter((b) => b.status === 'open'), `${where}: no open bid on a decided ride`).toEqual([]);
    if (ride.accepted_bid_id !== null) expect(accepted.map((b) => b.id)).toEqual([ride.accepted_bid_id]);
  }
  // Every request has at most one outcome of its haggling: assigned, cancelled while requested, or expired.
  const { rows: outcomes } = await stack.query<{ ride_id: string; n: string }>(
    `SELECT ride_id, count(*) AS n FROM ride_events
      WHERE ride_id = ANY($1::uuid[]) AND (type IN ('assigned', 'expired') OR (type = 'cancelled' AND from_status = 'requested'))
      GROUP BY ride_id HAVING count(*) > 1`,
    [rides.map((r) => r.id)],
  );
  expect(outcomes, `${where}: one outcome per request`).toEqual([]);
  const { rows: ledger } = await stack.query<{ total: string }>(`SELECT coalesce(sum(amount), 0) AS total FROM ledger_entries`);
  expect(Number(ledger[0]!.total), `${where}: the ledger sums to 0`).toBe(0);
  // What the apps were told: every ride frame carries its ride's seq, each connection sees them in
  // order, and a driver whose ride the customer cancelled heard it (live, or by session.resume).
  for (const app of [...customers, ...drivers]) {
    const last = new Map<string, number>();
    const seen = new Set<string>();
    for (const f of app.client.frames.filter((candidate) => /^(ride|bid)\./.test(candidate.type))) {
      expect(f.seq, `${where}: ${f.type} carries seq`).toBeGreaterThan(0);
      const rideId = rideIdOf(f);
      const key = `${rideId}/${f.seq}/${f.type}`;
      // At least once: a frame seen already may come again (the app ignores it); a new one never comes out of order.
      if (!seen.has(key)) expect(f.seq!, `${where}: ${f.type} of ${rideId} in seq order`).toBeGreaterThan(last.get(rideId) ?? 0);
      seen.add(key);
      last.set(rideId, Math.max(last.get(rideId) ?? 0, f.seq!));
    }
  }
  for (const ride of rides.filter((r) => r.status === 'cancelled' && r.driver_id !== null && r.cancelled_by === 'customer')) {
    const driver = drivers.find((d) => d.user.id === ride.driver_id)!;
    const heard = rideFrames(driver).some((f) => f.type === 'ride.cancelled' && rideIdOf(f) === ride.id);
    expect(heard, `${where}: driver told of the customer's cancel of ${ride.id}`).toBe(true);
  }
}

/** One customer's random move this step (and the drivers' moves on its ride). */
async function act(random: () => number, customer: App, drivers: App[], rides: RideRow[]): Promise<string> {
  const pick = <T,>(items: readonly T[]): T | undefined => (items.length === 0 ? undefined : items[Math.floor(random() * items.length)]);
  const driver = pick(drivers)!;
  const roll = random();
  const mine = rides.find((r) => r.customer_id === customer.user.id && (r.status === 'requested' || ENGAGED.includes(r.status)));
  if (!mine) {
    await customer.client.errorOf('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: FARE, paymentMethod: 'cash' });
    return 'request';
  }
  if (mine.status === 'requested') {
    const counter = random() < 0.5;
    const taps = 1 + Math.floor(random() * 3);
    const cancels = random() < 0.7 ? 1 + Math.floor(random() * 4) : 0;
    const bidIndex = random();
    const { rows: open } = await stack.query<{ id: string }>(`SELECT id FROM bids WHERE ride_id = $1 AND status = 'open' ORDER BY id`, [mine.id]);
    const offered = driver.client.all('ride.requested').some((d) => d.ride.id === mine.id);
    if (roll < 0.35 && offered) {
      await driver.client.errorOf('bid.place', { rideId: mine.id, fare: counter ? FARE + 5_000 : FARE });
      return counter ? 'counter-offer' : 'bid';
    }
    if (roll < 0.45) {
      const { rows } = await stack.query<{ fare: number }>(`SELECT fare FROM rides WHERE id = $1`, [mine.id]);
      await customer.client.errorOf('ride.raise_fare', { rideId: mine.id, fare: rows[0]!.fare + 1_000 });
      return 'raise';
    }
    if (roll < 0.85 && open.length > 0) {
      const bidId = open[Math.floor(bidIndex * open.length)]!.id;
      await customer.client.burst([
        ...Array.from({ length: taps }, () => ({ type: 'bid.accept', data: { rideId: mine.id, bidId } })),
        ...Array.from({ length: cancels }, () => ({ type: 'ride.cancel', data: { rideId: mine.id, reason: 'changed my mind' } })),
      ]);
      return `accept x${taps} + cancel x${cancels} in one write`;
    }
    if (roll < 0.92) {
      await customer.client.errorOf('ride.cancel', { rideId: mine.id, reason: 'too slow' });
      return 'customer cancels';
    }
    await reconnect(customer);
    return 'customer reconnects';
  }
  const assigned = drivers.find((d) => d.user.id === mine.driver_id)!;
  if (roll < 0.5) {
    const next = { assigned: 'ride.arrived', arrived: 'ride.start', in_progress: 'ride.complete' }[mine.status as 'assigned' | 'arrived' | 'in_progress'];
    await assigned.client.errorOf(next, { rideId: mine.id });
    return next;
  }
  if (roll < 0.65) {
    await assigned.client.errorOf('ride.cancel', { rideId: mine.id, reason: 'car broke down' });
    return 'driver cancels';
  }
  if (roll < 0.8) {
    await customer.client.burst([
      { type: 'ride.cancel', data: { rideId: mine.id, reason: 'changed my mind' } },
      { type: 'ride.cancel', data: { rideId: mine.id, reason: 'changed my mind' } },
    ]);
    return 'customer cancels twice in one write';
  }
  if (roll < 0.9) {
    await reconnect(assigned);
    return 'driver reconnects';
  }
  await reconnect(customer);
  return 'customer reconnects';
}

async function runSeed(seed: number, steps: number): Promise<void> {
  const random = seeded(seed);
  const customers: App[] = [];
  const drivers: App[] = [];
  for (let i = 0; i < 4; i += 1) customers.push(await connect(await createUser(stack, 'customer')));
  for (let i = 0; i < 5; i += 1) drivers.push(await connect(await createUser(stack, 'driver')));

  for (let step = 0; step < steps; step += 1) {
    const rides = await ridesOf(customers.map((c) => c.user.id));
    // Every customer moves at once; each draws from its own generator so the seed replays the same moves.
    const generators = customers.map(() => seeded(Math.floor(random() * 2 ** 32)));
    // Sometimes time passes meanwhile: a search step, or enough for bids or requests to expire, racing the moves.
    const passes = random() < 0.3 ? [1_000, 4_000, 8_000][Math.floor(random() * 3)]! : 0;
    const moves = customers.map((customer, i) => act(generators[i]!, customer, drivers, rides));
    const actions = await Promise.all(passes > 0 ? [...moves, clock.advance(passes).then(() => `${passes} ms pass`)] : moves);
    await checkInvariants(customers, drivers, `seed ${seed}, step ${step} (${actions.join('; ')})`);
  }
  for (const app of [...customers, ...drivers]) {
    await app.client.close();
    clients.delete(app.client);
  }
}

describe('rides under random interleavings (seeded model)', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`keeps the database, memory and the apps in agreement (seed ${seed})`, async () => {
      await runSeed(seed, 40);
    }, 120_000);
  }
});
