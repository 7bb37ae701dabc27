/**
 * Two realtime processes on one database (two startRealtimeServer instances, one virtual clock
 * they both poll on): every timer is a due row claimed by one of them, so a request expires
 * once, each bid expires once, and no driver is offered a ride twice. Every app is connected to
 * both processes, so a frame sent by either is seen, and one sent by both is seen twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KARACHI_CENTER, moveM } from '@drivrr/shared';
import { silentLogger } from '@drivrr/shared/logger';
import type { ServerMessageDataOf, ServerMessageType } from '@drivrr/shared/protocol';
import { loadRealtimeConfig, startRealtimeServer, VirtualClock, type RealtimeServer } from '@drivrr/server-realtime';
import { createUser, startTestStack, type TestStack, type TestUser } from '../../../test-support/stack.js';
import { WsTestClient } from './support/ws-client.js';

const ENV = { MATCH_STEP_MS: '1000', MATCH_BATCH: '2', REQUEST_TTL_MS: '10000', BID_TTL_MS: '4000' };
const PICKUP = KARACHI_CENTER;

const clock = new VirtualClock();
let stack: TestStack;
let second: RealtimeServer;
const clients: WsTestClient[] = [];

beforeAll(async () => {
  stack = await startTestStack({ auth: false, realtimeEnv: ENV, realtimeClock: clock });
  second = await startRealtimeServer(loadRealtimeConfig({ ...stack.env, ...ENV }), { logger: silentLogger, clock });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await second.stop();
  await stack.stop();
});

/** One app connected to both processes. */
async function onBoth(user: TestUser): Promise<WsTestClient[]> {
  const pair = await Promise.all([stack.realtime!, second].map(async (server) => (await WsTestClient.session(server.wsUrl, user.token)).client));
  clients.push(...pair);
  return pair;
}

/**
 * The frames of a type an app applied over both connections: delivery is at least once, so a
 * frame of the same ride and seq seen twice (both processes announced the event) counts once.
 */
function framesOf<T extends ServerMessageType>(pair: WsTestClient[], type: T): ServerMessageDataOf<T>[] {
  const seen = new Set<string>();
  const applied: ServerMessageDataOf<T>[] = [];
  for (const frame of pair.flatMap((client) => client.frames.filter((f) => f.type === type))) {
    const data = frame.data as { rideId?: string; ride?: { id: string } };
    const key = `${data.rideId ?? data.ride?.id}/${frame.seq}`;
    if (frame.seq !== undefined && seen.has(key)) continue;
    seen.add(key);
    applied.push(frame.data as ServerMessageDataOf<T>);
  }
  return applied;
}

describe('two realtime processes on one database', () => {
  it('expire each request once and each bid once, and offer no driver a ride twice', async () => {
    const drivers = await Promise.all(Array.from({ length: 6 }, () => createUser(stack, 'driver')));
    const driverApps = await Promise.all(drivers.map((driver) => onBoth(driver)));
    await Promise.all(driverApps.map((pair, i) => Promise.all(pair.map((client) => client.request('driver.online', moveM(PICKUP, i * 60, 200 + i * 100))))));
    const customers = await Promise.all(Array.from({ length: 4 }, () => createUser(stack, 'customer')));
    const customerApps = await Promise.all(customers.map((customer) => onBoth(customer)));

    // Requests made half through one process, half through the other.
    const rideIds = await Promise.all(
      customerApps.map(async (pair, i) => {
        const ack = await pair[i % 2]!.request<{ rideId: string }>('ride.request', { pickup: PICKUP, dropoff: moveM(PICKUP, 45, 5_000), fare: 50_000, paymentMethod: 'cash' });
        return ack.rideId;
      }),
    );
    // Both processes poll every step: the search widens until every driver holds an offer of every ride.
    for (let step = 0; step < 4; step += 1) await clock.advance(1_000);
    // Each driver bids once on the first ride offered to them, through either process.
    const bidIds: string[] = [];
    for (const [i, pair] of driverApps.entries()) {
      const offer = framesOf(pair, 'ride.requested')[0]!;
      const placed = await pair[i % 2]!.request<{ bid: { id: string } }>('bid.place', { rideId: offer.ride.id, fare: offer.ride.fare });
      bidIds.push(placed.bid.id);
    }

    await clock.advance(4_000);
    await clock.advance(1_000);
    await clock.advance(10_000);
    await clock.advance(1_000);
    await Promise.all([...customerApps, ...driverApps].flatMap((pair) => pair.map((client) => client.request('ping', {}))));

    // Each bid expired once: in the database, and as frames to its customer and driver.
    const expiredBids = await stack.query<{ bid_id: string; n: string }>(
      `SELECT data->>'bidId' AS bid_id, count(*) AS n FROM ride_events WHERE type = 'bid_expired' AND ride_id = ANY($1::uuid[]) GROUP BY 1`,
      [rideIds],
    );
    expect(expiredBids.rows.map((r) => [r.bid_id, Number(r.n)]).sort()).toEqual(bidIds.map((id) => [id, 1]).sort());
    const toCustomers = customerApps.flatMap((pair) => framesOf(pair, 'bid.expired').map((d) => d.bidId));
    expect(toCustomers.sort()).toEqual([...bidIds].sort());
    for (const [i, pair] of driverApps.entries()) expect(framesOf(pair, 'bid.expired').map((d) => d.bidId)).toEqual([bidIds[i]]);

    // Each request expired once.
    const expired = await stack.query<{ ride_id: string; n: string }>(`SELECT ride_id, count(*) AS n FROM ride_events WHERE type = 'expired' AND ride_id = ANY($1::uuid[]) GROUP BY 1`, [rideIds]);
    expect(expired.rows.map((r) => [r.ride_id, Number(r.n)]).sort()).toEqual(rideIds.map((id) => [id, 1]).sort());
    for (const [i, pair] of customerApps.entries()) expect(framesOf(pair, 'ride.expired')).toEqual([{ rideId: rideIds[i] }]);

    // No driver was offered a ride twice, and every driver near was offered every ride.
    for (const pair of driverApps) {
      const offered = framesOf(pair, 'ride.requested').map((d) => d.ride.id);
      expect(offered.sort()).toEqual([...rideIds].sort());
    }
  });
});
