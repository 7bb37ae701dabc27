/**
 * Share the trip, end to end on the real services, sockets and PostgreSQL: the customer creates
 * a link on the auth service; the realtime service shows the ride behind it, with no login, as
 * JSON and as Server-Sent Events, until the ride ends (then 410 link_expired). Status changes
 * reach the stream on the rides clock (virtual here): no test sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moveM } from '@drivrr/shared';
import type { ShareLinkCreated, TrackView } from '@drivrr/shared/protocol';
import { VirtualClock } from '@drivrr/server-realtime';
import { createUser, startTestStack, type TestStack } from '../../test-support/stack.js';
import type { WsTestClient } from './rides/support/ws-client.js';
import { assignedRide, RIDE_DROPOFF, RIDE_PICKUP } from './support/assigned-ride.js';
import { TRACK_POLL_MS } from '../src/track/module.js';

const PUBLIC_URL = 'http://192.168.7.20:8081';
const clock = new VirtualClock();
let stack: TestStack;
const clients: WsTestClient[] = [];

beforeAll(async () => {
  stack = await startTestStack({ realtimeEnv: { MATCH_STEP_MS: '200' }, authEnv: { REALTIME_PUBLIC_URL: `${PUBLIC_URL}/` }, realtimeClock: clock });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await stack.stop();
});

async function rideWithSockets() {
  const ride = await assignedRide(stack, clock, { driverName: 'Kashif' });
  clients.push(ride.customer, ride.driver);
  return ride;
}

function share(rideId: string, token: string | undefined): Promise<Response> {
  return fetch(`${stack.auth!.url}/api/rides/${rideId}/share`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
}

async function createLink(rideId: string, token: string): Promise<ShareLinkCreated> {
  const res = await share(rideId, token);
  expect(res.status).toBe(201);
  return (await res.json()) as ShareLinkCreated;
}

/** Reads a text/event-stream answer event by event. */
class EventStream {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  static async open(url: string): Promise<{ res: Response; events: EventStream }> {
    const res = await fetch(url, { headers: { accept: 'text/event-stream' } });
    return { res, events: new EventStream(res.body!.getReader()) };
  }

  /** The next event (comments and `retry:` skipped); undefined once the server closed the stream. */
  async next(): Promise<{ event: string; data: unknown } | undefined> {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) return { event, data: JSON.parse(data) as unknown };
        continue;
      }
      const { value, done } = await this.reader.read();
      if (done) return undefined;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

describe('share the trip', () => {
  it('gives the customer a link on REALTIME_PUBLIC_URL that shows the ride and the driver without a login', async () => {
    // Arrange
    const { rideId, customerUser, driver } = await rideWithSockets();
    const at = moveM(RIDE_PICKUP, 180, 300);
    await driver.request('location.update', at);

    // Act
    const link = await createLink(rideId, customerUser.token);
    const res = await fetch(`${stack.realtime!.url}/api/track/${link.token}`);

    // Assert
    expect(link.url).toBe(`${PUBLIC_URL}/track/${link.token}`);
    expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(link.expiresAt)).toBeGreaterThan(Date.now());
    expect(res.status).toBe(200);
    const view = (await res.json()) as TrackView;
    expect(view).toEqual({
      ride: { status: 'assigned', vehicleType: 'car', pickup: RIDE_PICKUP, dropoff: RIDE_DROPOFF },
      driver: { name: 'Kashif', vehicle: expect.objectContaining({ make: 'Suzuki', type: 'car' }), lat: at.lat, lng: at.lng, ts: expect.any(Number) },
    });
    // Only the hash of the token is stored.
    const stored = await stack.query<{ token_hash: string }>(`SELECT token_hash FROM ride_share_links WHERE ride_id = $1`, [rideId]);
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0]!.token_hash).not.toContain(link.token);
  });

  it('streams the driver live and the status until the ride ends, then answers 410 link_expired', async () => {
    // Arrange
    const { rideId, customerUser, driver } = await rideWithSockets();
    const link = await createLink(rideId, customerUser.token);
    const { res, events } = await EventStream.open(`${stack.realtime!.url}/api/track/${link.token}/events`);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await events.next()).toMatchObject({ event: 'track', data: { ride: { status: 'assigned' }, driver: { name: 'Kashif' } } });

    // Act + Assert: a fix, then each status on the next poll of the (virtual) clock.
    const at = moveM(RIDE_PICKUP, 180, 150);
    await driver.request('location.update', { ...at, heading: 90 });
    expect(await events.next()).toEqual({ event: 'location', data: { lat: at.lat, lng: at.lng, heading: 90, ts: expect.any(Number) } });
    await driver.request('ride.arrived', { rideId });
    await clock.advance(TRACK_POLL_MS);
    expect(await events.next()).toMatchObject({ event: 'track', data: { ride: { status: 'arrived' } } });
    await driver.request('ride.start', { rideId });
    await driver.request('ride.complete', { rideId });
    await clock.advance(TRACK_POLL_MS);
    expect(await events.next()).toEqual({ event: 'ended', data: { status: 'completed' } });
    expect(await events.next()).toBeUndefined();

    const after = await fetch(`${stack.realtime!.url}/api/track/${link.token}`);
    expect(after.status).toBe(410);
    expect(await after.json()).toMatchObject({ error: { code: 'link_expired', details: { status: 'completed' } } });
    const stream = await fetch(`${stack.realtime!.url}/api/track/${link.token}/events`);
    expect(stream.status).toBe(410);
    expect((await share(rideId, customerUser.token)).status).toBe(422);
  });

  it('lets only the ride customer share, and knows no token it did not hand out', async () => {
    const { rideId, customerUser, driverUser } = await rideWithSockets();
    const stranger = await createUser(stack, 'customer');
    const answers = await Promise.all([
      share(rideId, driverUser.token),
      share(rideId, stranger.token),
      share(rideId, undefined),
      share('not-a-uuid', customerUser.token),
    ]);
    expect(answers.map((r) => r.status)).toEqual([403, 404, 401, 400]);

    for (const token of ['A'.repeat(43), 'short', '%E0%A4%A']) {
      const res = await fetch(`${stack.realtime!.url}/api/track/${token}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
    }
    const link = await createLink(rideId, customerUser.token);
    const post = await fetch(`${stack.realtime!.url}/api/track/${link.token}`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  // Last: it moves the rides clock a day on.
  it('closes a link at its expiresAt even when the ride has not ended', async () => {
    const { rideId, customerUser } = await rideWithSockets();
    const link = await createLink(rideId, customerUser.token);
    expect((await fetch(`${stack.realtime!.url}/api/track/${link.token}`)).status).toBe(200);
    const { events } = await EventStream.open(`${stack.realtime!.url}/api/track/${link.token}/events`);
    expect(await events.next()).toMatchObject({ event: 'track' });

    await clock.advance(Date.parse(link.expiresAt) - clock.now() + 1);

    expect(await events.next()).toEqual({ event: 'ended', data: { status: 'assigned' } });
    expect(await events.next()).toBeUndefined();

    const res = await fetch(`${stack.realtime!.url}/api/track/${link.token}`);
    expect(res.status).toBe(410);
    expect(await res.json()).toMatchObject({ error: { code: 'link_expired', details: { status: 'assigned' } } });
    expect((await fetch(`${stack.realtime!.url}/api/track/${link.token}/events`)).status).toBe(410);
  });
});
