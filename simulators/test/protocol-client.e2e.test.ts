/** The simulators' protocol client against the real realtime service. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandshakeRefused, ProtocolClient, ProtocolRefusal, type ProtocolIssue } from '@drivrr/simulators';
import { createUser, startTestStack, type TestStack, type TestUser } from '../../test-support/stack.js';

let stack: TestStack;
let driver: TestUser;

beforeAll(async () => {
  stack = await startTestStack({ auth: false });
  driver = await createUser(stack, 'driver');
});

afterAll(async () => {
  await stack?.stop();
});

const clientFor = (token: string, issues: ProtocolIssue[] = []) =>
  new ProtocolClient({ wsUrl: stack.realtime!.wsUrl, token: async () => token, keepInbox: true, onIssue: (issue) => issues.push(issue) });

describe('the protocol client', () => {
  it('connects with a bearer token and resolves with session.state', async () => {
    const client = clientFor(driver.token);
    const state = await client.connect();
    expect(state.data.user.id).toBe(driver.id);
    client.close();
  });

  it('resolves a message with its ack and rejects a refused one with the error code', async () => {
    const issues: ProtocolIssue[] = [];
    const client = clientFor(driver.token, issues);
    await client.connect();
    await expect(client.request('driver.online', { lat: 24.86, lng: 67.0 })).resolves.toBeDefined();
    const refusal = await client.request('bid.place', { rideId: '00000000-0000-4000-8000-000000000000', fare: 1000 }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ProtocolRefusal);
    expect((refusal as ProtocolRefusal).code).toBe('not_found');
    await client.request('driver.offline', {});
    client.close();
    expect(issues).toEqual([]);
  });

  it('sends a message queued while disconnected after the reconnect, and it is answered', async () => {
    const client = clientFor(driver.token);
    await client.connect();
    client.drop();
    const answer = client.request('driver.online', { lat: 24.87, lng: 67.01 });
    expect(client.connected).toBe(false);
    const state = await client.connect();
    await expect(answer).resolves.toBeDefined();
    expect(state.data.user.id).toBe(driver.id);
    await client.request('driver.offline', {});
    client.close();
  });

  it('reports a refused handshake (forged token) as HTTP 401', async () => {
    const client = clientFor('not-a-token');
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandshakeRefused);
    expect((error as HandshakeRefused).status).toBe(401);
  });

  it('takes each frame once with waitFor and keeps later ones for the next wait', async () => {
    const client = clientFor(driver.token);
    await client.connect();
    await client.request('ping', {});
    await expect(client.waitFor('session.state', () => true, 100)).resolves.toMatchObject({ type: 'session.state' });
    await expect(client.waitFor('session.state', () => true, 100)).rejects.toThrow('no session.state frame within 100 ms');
    client.close();
  });
});
