/**
 * The operator channel over real sockets: operators get paced snapshots (a bounded rate however
 * fast drivers report) with no phone number or token in them, counters that match the database,
 * and ride timelines; customers and drivers cannot subscribe or read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpsRideAck, OpsSnapshot, type OpsSnapshot as OpsSnapshotType } from '@drivrr/shared/protocol';
import { ProtocolClient, ProtocolRefusal, type FrameOf } from '@drivrr/simulators';
import { insertBid, insertRide, insertRideEvent } from '../../test-support/ride-fixtures.js';
import { createUser, startTestStack, type TestStack, type TestUser } from '../../test-support/stack.js';

const SNAPSHOT_MS = 250;
/** The drivers an operator sees after applying snapshots in order (whole ones replace, deltas patch). */
function picture(frames: OpsSnapshotType[]): Map<string, OpsSnapshotType['drivers'][number]> {
  const drivers = new Map<string, OpsSnapshotType['drivers'][number]>();
  for (const frame of frames) {
    if (frame.full) drivers.clear();
    for (const id of frame.removedDriverIds) drivers.delete(id);
    for (const d of frame.drivers) drivers.set(d.id, d);
  }
  return drivers;
}

let stack: TestStack;
const clients: ProtocolClient[] = [];

async function connect(user: TestUser): Promise<ProtocolClient> {
  const client = new ProtocolClient({ wsUrl: stack.realtime!.wsUrl, token: async () => user.token, keepInbox: true, label: user.role });
  clients.push(client);
  await client.connect();
  return client;
}

beforeAll(async () => {
  stack = await startTestStack({
    // Drivers here report far faster than any app would; the transport's flood guard must not interfere.
    realtimeEnv: { OPS_SNAPSHOT_MS: String(SNAPSHOT_MS), OPS_BOARD_MS: '200', WS_RATE_PER_S: '1000', WS_RATE_BURST: '1000' },
  });
});

afterAll(async () => {
  for (const client of clients) client.close();
  await stack?.stop();
});

describe('ops channel access', () => {
  it('refuses ops.subscribe and ops.ride from a customer and from a driver', async () => {
    const customer = await connect(await createUser(stack, 'customer'));
    const driver = await connect(await createUser(stack, 'driver'));
    for (const client of [customer, driver]) {
      await expect(client.request('ops.subscribe', {})).rejects.toMatchObject({ code: 'forbidden' });
      await expect(client.request('ops.ride', { rideId: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(ProtocolRefusal);
    }
    await new Promise((resolve) => setTimeout(resolve, 3 * SNAPSHOT_MS));
    expect(customer.untaken('ops.snapshot')).toHaveLength(0);
    expect(driver.untaken('ops.snapshot')).toHaveLength(0);
  });

  it('keeps operators read-only: they cannot request rides, bid or go online', async () => {
    const operator = await connect(await createUser(stack, 'operator'));
    await expect(operator.request('driver.online', { lat: 24.86, lng: 67.0 })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      operator.request('ride.request', { pickup: { lat: 24.86, lng: 67.0 }, dropoff: { lat: 24.9, lng: 67.1 }, fare: 50_000, paymentMethod: 'cash' }),
    ).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('ops snapshots', () => {
  const drivers: { user: TestUser; client: ProtocolClient }[] = [];
  let operator: ProtocolClient;
  let secrets: string[];
  let snapshots: FrameOf<'ops.snapshot'>[];
  let fixesSent = 0;
  const lastFix = new Map<string, { lat: number; lng: number }>();

  beforeAll(async () => {
    const customer = await createUser(stack, 'customer');
    const other = await createUser(stack, 'customer');
    for (let i = 0; i < 8; i += 1) {
      const user = await createUser(stack, 'driver');
      const client = await connect(user);
      await client.request('driver.online', { lat: 24.86 + i * 0.001, lng: 67.0 });
      drivers.push({ user, client });
    }
    // The database side: one open request with two bids, one assigned ride, some history.
    const open = await insertRide(stack, { customerId: customer.id, status: 'requested', fare: 45_000 });
    await insertBid(stack, { rideId: open, driverId: drivers[0]!.user.id, fare: 47_000 });
    await insertBid(stack, { rideId: open, driverId: drivers[1]!.user.id, fare: 46_000 });
    await insertRide(stack, { customerId: other.id, driverId: drivers[2]!.user.id, status: 'assigned' });
    await insertRide(stack, { customerId: other.id, driverId: drivers[3]!.user.id, status: 'completed' });
    await insertRide(stack, { customerId: other.id, status: 'cancelled' });

    const operatorUser = await createUser(stack, 'operator');
    secrets = [operatorUser.token, operatorUser.phone, customer.phone, other.phone, customer.token, ...drivers.flatMap((d) => [d.user.phone, d.user.token])];
    operator = await connect(operatorUser);
    const ack = await operator.request('ops.subscribe', {});
    expect(ack).toEqual({ intervalMs: SNAPSHOT_MS });

    // 8 drivers x a fix every 20 ms = 400 fixes/s for 2 s.
    const started = Date.now();
    let step = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        step += 1;
        for (const [i, d] of drivers.entries()) {
          const fix = { lat: 24.86 + i * 0.001 + step * 0.00001, lng: 67.0 + step * 0.00001 };
          d.client.post('location.update', fix);
          lastFix.set(d.user.id, fix);
          fixesSent += 1;
        }
        if (Date.now() - started >= 2_000) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
    await new Promise((resolve) => setTimeout(resolve, 2 * SNAPSHOT_MS));
    snapshots = operator.untaken('ops.snapshot');
  });

  it('sends a bounded number of snapshots however many fixes arrive', () => {
    const span = snapshots.at(-1)!.receivedAt - snapshots[0]!.receivedAt;
    expect(fixesSent).toBeGreaterThan(500);
    expect(snapshots.length).toBeGreaterThanOrEqual(4);
    // At most one per interval, plus the immediate first picture.
    expect(snapshots.length).toBeLessThanOrEqual(Math.floor(span / SNAPSHOT_MS) + 2);
    const seqs = snapshots.map((s) => s.data.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('sends snapshots that match the schema and carry no phone number or token', () => {
    for (const frame of snapshots) {
      expect(OpsSnapshot.safeParse(frame.data).success).toBe(true);
      const text = JSON.stringify(frame.data);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/"phone"|token|\+92\d{9}/i);
    }
  });

  it('sends a whole picture first, then deltas that each follow the one before', () => {
    expect(snapshots[0]!.data.full).toBe(true);
    for (let i = 1; i < snapshots.length; i += 1) {
      const { full, seq } = snapshots[i]!.data;
      if (!full) expect(seq).toBe(snapshots[i - 1]!.data.seq + 1);
    }
    expect(snapshots.some((s) => !s.data.full)).toBe(true);
  });

  it('shows every online driver where it last reported, with its status', () => {
    const last: OpsSnapshotType = snapshots.at(-1)!.data;
    expect(last.counters.driversOnline).toBe(8);
    const byId = picture(snapshots.map((s) => s.data));
    expect(byId.size).toBe(8);
    expect(byId.get(drivers[0]!.user.id)?.status).toBe('offered');
    expect(byId.get(drivers[2]!.user.id)?.status).toBe('on_ride');
    expect(byId.get(drivers[5]!.user.id)?.status).toBe('idle');
    // Every driver is shown at the last fix it sent (to the 6 decimals snapshots carry).
    for (const d of drivers) {
      expect(byId.get(d.user.id)!.lat).toBeCloseTo(lastFix.get(d.user.id)!.lat, 5);
      expect(byId.get(d.user.id)!.lng).toBeCloseTo(lastFix.get(d.user.id)!.lng, 5);
    }
    expect(byId.get(drivers[5]!.user.id)!.lat).toBeGreaterThan(24.865);
  });

  it('reports counters and the open request exactly as the database has them', async () => {
    const last = snapshots.at(-1)!.data;
    const { rows } = await stack.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM rides GROUP BY status`);
    for (const row of rows) expect(last.counters.ridesByStatus[row.status as keyof typeof last.counters.ridesByStatus]).toBe(row.n);
    expect(last.counters.requestsOpen).toBe(1);
    expect(last.requests).toEqual([expect.objectContaining({ fare: 45_000, openBids: 2, totalBids: 2, bestBid: 46_000 })]);
    expect(last.rides).toEqual([expect.objectContaining({ status: 'assigned', driverId: drivers[2]!.user.id })]);
    expect(last.counters.medianAssignS).toBe(20);
  });

  it('sends in a delta only the drivers that moved', async () => {
    const mover = drivers[4]!;
    const before = operator.frames().length;
    for (let k = 1; k <= 6; k += 1) {
      mover.client.post('location.update', { lat: 24.9 + k * 0.0001, lng: 67.05 });
      await new Promise((resolve) => setTimeout(resolve, SNAPSHOT_MS));
    }
    await new Promise((resolve) => setTimeout(resolve, 2 * SNAPSHOT_MS));
    const later = operator.frames().slice(before).filter((f): f is FrameOf<'ops.snapshot'> => f.type === 'ops.snapshot');
    const deltas = later.filter((f) => !f.data.full);
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    for (const delta of deltas) expect(delta.data.drivers.map((d) => d.id)).toEqual([mover.user.id]);
    expect(picture(snapshots.map((s) => s.data).concat(later.map((f) => f.data))).get(mover.user.id)!.lat).toBeCloseTo(24.9006, 6);
  });

  it('stops sending after ops.unsubscribe', async () => {
    await operator.request('ops.unsubscribe', {});
    await new Promise((resolve) => setTimeout(resolve, SNAPSHOT_MS));
    const before = operator.frames().filter((f) => f.type === 'ops.snapshot').length;
    drivers[0]!.client.post('location.update', { lat: 24.87, lng: 67.01 });
    await new Promise((resolve) => setTimeout(resolve, 4 * SNAPSHOT_MS));
    expect(operator.frames().filter((f) => f.type === 'ops.snapshot').length).toBe(before);
  });
});

describe('ops.ride', () => {
  it('gives an operator a ride with its bids and timeline, without phones', async () => {
    const customer = await createUser(stack, 'customer', { name: 'Ayesha' });
    const driver = await createUser(stack, 'driver', { name: 'Bilal' });
    const rideId = await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'assigned' });
    await insertBid(stack, { rideId, driverId: driver.id, fare: 50_000, status: 'accepted' });
    await insertRideEvent(stack, { rideId, type: 'ride.requested', toStatus: 'requested', actorRole: 'customer', actorId: customer.id });
    await insertRideEvent(stack, { rideId, type: 'bid.accepted', fromStatus: 'requested', toStatus: 'assigned', actorRole: 'customer', actorId: customer.id });
    const operatorUser = await createUser(stack, 'operator');
    const operator = await connect(operatorUser);

    const ack = OpsRideAck.parse(await operator.request('ops.ride', { rideId }));

    expect(ack.ride).toMatchObject({ id: rideId, status: 'assigned', customer: { name: 'Ayesha' }, driver: { name: 'Bilal' } });
    expect(ack.ride.events.map((e) => e.type)).toEqual(['ride.requested', 'bid.accepted']);
    expect(ack.ride.bids).toHaveLength(1);
    const text = JSON.stringify(ack);
    for (const secret of [customer.phone, driver.phone, customer.token, driver.token, operatorUser.token]) expect(text).not.toContain(secret);
  });

  it('answers not_found for a ride that does not exist', async () => {
    const operator = await connect(await createUser(stack, 'operator'));
    await expect(operator.request('ops.ride', { rideId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: 'not_found' });
  });
});
