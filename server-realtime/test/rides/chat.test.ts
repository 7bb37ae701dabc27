/**
 * In-ride chat (contract 1.1) through real WebSockets and PostgreSQL: chat.send between the two
 * parties of a ride, stored before it is delivered, delivered with the ride's seq, its limits and
 * refusals, the last 50 in session.state after a reconnect, and no double storing of a re-sent
 * message (across two realtime processes on one database).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@drivrr/shared/logger';
import { ChatMessageView, ChatSendAck } from '@drivrr/shared/protocol';
import { loadRealtimeConfig, startRealtimeServer, VirtualClock, type RealtimeServer } from '@drivrr/server-realtime';
import { createUser, startTestStack, type TestStack } from '../../../test-support/stack.js';
import { assignedRide, RIDE_DROPOFF, RIDE_PICKUP, type AssignedRide } from '../support/assigned-ride.js';
import { RemoteError, WsTestClient } from './support/ws-client.js';

const clock = new VirtualClock();
let stack: TestStack;
const open: WsTestClient[] = [];
const servers: RealtimeServer[] = [];

beforeAll(async () => {
  stack = await startTestStack({ auth: false, realtimeEnv: { MATCH_STEP_MS: '200', WS_RATE_PER_S: '1000', WS_RATE_BURST: '1000' }, realtimeClock: clock });
});
afterAll(async () => {
  await Promise.all(open.map((client) => client.close()));
  for (const server of servers) await server.stop();
  await stack.stop();
});

async function ride(): Promise<AssignedRide> {
  const assigned = await assignedRide(stack, clock);
  open.push(assigned.customer, assigned.driver);
  return assigned;
}

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RemoteError) return error.code;
    throw error;
  }
  return 'ok';
}

describe('in-ride chat', () => {
  it('delivers a message to the other party with the ride seq, stored before, and acks its id and time', async () => {
    const { rideId, customer, driver, customerUser } = await ride();

    const ack = ChatSendAck.parse(await customer.request('chat.send', { rideId, text: "  I'm at the gate  " }));
    const received = await driver.waitFor('chat.message', (m) => m.messageId === ack.messageId);
    const reply = ChatSendAck.parse(await driver.request('chat.send', { rideId, text: '2 minutes' }));
    const back = await customer.waitFor('chat.message', (m) => m.messageId === reply.messageId);

    expect(ChatMessageView.parse(received)).toEqual({ rideId, messageId: ack.messageId, from: 'customer', text: "I'm at the gate", sentAt: ack.sentAt });
    expect(back).toMatchObject({ from: 'driver', text: '2 minutes' });
    const frame = driver.frames.find((f) => f.type === 'chat.message');
    const stored = await stack.query<{ seq: number; type: string }>(`SELECT seq, type FROM ride_events WHERE ride_id = $1 AND data->>'messageId' = $2`, [rideId, ack.messageId]);
    expect(stored.rows).toEqual([{ seq: frame!.seq, type: 'chat_message' }]);
    const rows = await stack.query<{ sender_id: string; body: string }>(`SELECT sender_id, body FROM ride_messages WHERE ride_id = $1 ORDER BY ordinal`, [rideId]);
    expect(rows.rows).toEqual([
      { sender_id: customerUser.id, body: "I'm at the gate" },
      { sender_id: expect.any(String), body: '2 minutes' },
    ]);
    // The sender does not get its own message back.
    expect(customer.all('chat.message').map((m) => m.messageId)).toEqual([reply.messageId]);
  });

  it('refuses empty, too long and control-character text with validation_failed', async () => {
    const { rideId, customer } = await ride();
    expect(await errorCode(customer.request('chat.send', { rideId, text: '' }))).toBe('validation_failed');
    expect(await errorCode(customer.request('chat.send', { rideId, text: '   ' }))).toBe('validation_failed');
    expect(await errorCode(customer.request('chat.send', { rideId, text: 'x'.repeat(1001) }))).toBe('validation_failed');
    expect(await errorCode(customer.request('chat.send', { rideId, text: 'bell\u0007' }))).toBe('validation_failed');
    expect(await errorCode(customer.request('chat.send', { rideId, text: 'x'.repeat(1000) }))).toBe('ok');
  });

  it('answers a stranger with not_found, and a party of a ride without a driver or ended with forbidden', async () => {
    const { rideId, driver, customer } = await ride();
    const stranger = (await WsTestClient.session(stack.realtime!.wsUrl, (await createUser(stack, 'customer')).token)).client;
    open.push(stranger);
    expect(await errorCode(stranger.request('chat.send', { rideId, text: 'hello' }))).toBe('not_found');

    const waiting = (await WsTestClient.session(stack.realtime!.wsUrl, (await createUser(stack, 'customer')).token)).client;
    open.push(waiting);
    const request = await waiting.request<{ rideId: string }>('ride.request', { pickup: RIDE_PICKUP, dropoff: RIDE_DROPOFF, fare: 50_000, paymentMethod: 'cash' });
    expect(await errorCode(waiting.request('chat.send', { rideId: request.rideId, text: 'anyone?' }))).toBe('forbidden');
    await waiting.request('ride.cancel', { rideId: request.rideId, reason: 'test over' });

    for (const step of ['ride.arrived', 'ride.start', 'ride.complete']) await driver.request(step, { rideId });
    expect(await errorCode(customer.request('chat.send', { rideId, text: 'thanks!' }))).toBe('forbidden');
  });

  it('limits each sender to 10 messages in 10 s on a ride (rate_limited), the other party unaffected', async () => {
    const { rideId, customer, driver } = await ride();
    for (let i = 0; i < 10; i += 1) await customer.request('chat.send', { rideId, text: `message ${i}` });

    expect(await errorCode(customer.request('chat.send', { rideId, text: 'one too many' }))).toBe('rate_limited');
    expect(await errorCode(driver.request('chat.send', { rideId, text: 'my own ten' }))).toBe('ok');
    await clock.advance(10_001);
    expect(await errorCode(customer.request('chat.send', { rideId, text: 'after the window' }))).toBe('ok');
  });

  it('carries the last 50 messages, oldest first, in session.state after a reconnect', async () => {
    const { rideId, customer, customerUser } = await ride();
    for (let i = 0; i < 55; i += 1) {
      if (i > 0 && i % 10 === 0) await clock.advance(10_001);
      await customer.request('chat.send', { rideId, text: `line ${i}` });
    }
    await customer.close();

    const { client, state } = await WsTestClient.session(stack.realtime!.wsUrl, customerUser.token);
    open.push(client);

    const messages = state.activeRide?.messages ?? [];
    expect(messages).toHaveLength(50);
    expect(messages[0]!.text).toBe('line 5');
    expect(messages[49]!.text).toBe('line 54');
    expect(state.activeRide?.lastSeq).toBeGreaterThanOrEqual(55);
  });

  it('stores a chat.send re-sent with the same message id once, even through another realtime process', async () => {
    const { rideId, customer, customerUser, driver } = await ride();
    const other = await startRealtimeServer(loadRealtimeConfig({ ...stack.env, MATCH_STEP_MS: '200' }), { logger: silentLogger, clock });
    servers.push(other);
    const first = ChatSendAck.parse(await customer.request('chat.send', { rideId, text: 'on my way down' }, 5_000, 'chat-1'));
    const again = ChatSendAck.parse(await customer.request('chat.send', { rideId, text: 'on my way down' }, 5_000, 'chat-1'));
    const elsewhere = (await WsTestClient.session(other.wsUrl, customerUser.token)).client;
    open.push(elsewhere);
    const third = ChatSendAck.parse(await elsewhere.request('chat.send', { rideId, text: 'on my way down' }, 5_000, 'chat-1'));

    expect(again).toEqual(first);
    expect(third).toEqual(first);
    const rows = await stack.query<{ n: number }>(`SELECT count(*)::int AS n FROM ride_messages WHERE ride_id = $1`, [rideId]);
    expect(rows.rows[0]!.n).toBe(1);
    await customer.request('ping', {});
    expect(driver.all('chat.message')).toHaveLength(1);
  });
});
