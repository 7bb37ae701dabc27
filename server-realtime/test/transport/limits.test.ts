import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestStack, type TestStack } from '../../../test-support/stack.js';
import { connect, delay, eventually, TestClient } from '../support/client.js';

const HEARTBEAT_MS = 150;
/** Slow refill, so that a loaded machine taking long over the 15 frames adds few tokens (counted below). */
const RATE_PER_S = 2;

describe('per-socket rate limit and heartbeats', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({
      auth: false,
      realtimeEnv: { WS_RATE_PER_S: String(RATE_PER_S), WS_RATE_BURST: '10', WS_FLOOD_CLOSE_AFTER: '30', HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) },
    });
  });
  afterAll(async () => stack.stop());

  it('answers past the burst with rate_limited and a retry hint, and serves again after a pause', async () => {
    const user = await createUser(stack, 'customer');
    const client = await connect(stack.realtime!.wsUrl, user.token);
    const sentAt = Date.now();
    for (let i = 0; i < 15; i++) client.send('ping', {}, `p-${i}`);
    const answers = await Promise.all(Array.from({ length: 15 }, (_, i) => client.next((f) => f.id === `p-${i}`)));
    // The burst, plus whatever refilled while the server worked through the frames (none on an idle machine).
    const refilled = Math.floor(((Date.now() - sentAt) / 1000) * RATE_PER_S);
    const acked = answers.filter((a) => a.type === 'ack').length;
    expect(acked).toBeGreaterThanOrEqual(10);
    expect(acked).toBeLessThanOrEqual(10 + refilled);
    const limited = answers.filter((a) => a.type === 'error');
    expect(limited).toHaveLength(15 - acked);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toMatchObject({ error: { code: 'rate_limited', details: { retryAfterS: expect.any(Number) } } });

    await delay(1_000 / RATE_PER_S + 100);
    expect((await client.request('ping', {})).type).toBe('ack');
    await client.close();
  });

  it('closes a socket that keeps flooding with 1008', async () => {
    const user = await createUser(stack, 'customer');
    const client = await connect(stack.realtime!.wsUrl, user.token);
    for (let i = 0; i < 200; i++) client.send('ping', {});
    expect(await client.closed).toBe(1008);
    expect(client.closeReason).toBe('rate limit exceeded');
  });

  it('keeps a socket that answers pings and drops one that stopped answering within two intervals', async () => {
    // Sockets of the tests before may still be on their way out on a loaded machine.
    await eventually(() => expect(stack.realtime!.inspect.connections()).toMatchObject({ driver: 0, customer: 0 }));
    const user = await createUser(stack, 'driver');
    const healthy = await connect(stack.realtime!.wsUrl, user.token);
    const other = await createUser(stack, 'customer');
    const deafSocket = new WebSocket(stack.realtime!.wsUrl, { headers: { authorization: `Bearer ${other.token}` }, autoPong: false });
    const deaf = new TestClient(deafSocket);
    await deaf.nextOfType('session.state');
    expect(stack.realtime!.inspect.connections()).toMatchObject({ driver: 1, customer: 1 });

    const closedWith = await deaf.closed;
    expect(closedWith).toBe(1006);
    await eventually(() => expect(stack.realtime!.inspect.connections()).toMatchObject({ driver: 1, customer: 0 }));
    await delay(HEARTBEAT_MS * 3);
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
    expect((await healthy.request('ping', {})).type).toBe('ack');
    await healthy.close();
  });
});
