/** The simulators' protocol client against the real realtime service. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandshakeRefused, ProtocolClient, ProtocolRefusal, type ProtocolIssue } from '@drivrr/simulators';
import { ManualClock } from '../../test-support/manual-clock.js';
import { createUser, startTestStack, tokenFor, type TestStack, type TestUser } from '../../test-support/stack.js';

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

describe('the protocol client and the lifetime of its token', () => {
  const clock = new ManualClock();
  let clocked: TestStack;

  beforeAll(async () => {
    clocked = await startTestStack({ auth: false, sessionClock: clock });
  });
  afterAll(async () => {
    await clocked?.stop();
  });

  it('answers session.expiring with session.refresh, as a good app does, so the socket outlives its first token', async () => {
    const user = await createUser(clocked, 'customer');
    clock.reset(); // the virtual time starts now, when the token is signed
    const issues: ProtocolIssue[] = [];
    const client = new ProtocolClient({
      wsUrl: clocked.realtime!.wsUrl,
      token: async () => tokenFor(clocked.keys, user.id, 'customer', 30),
      freshToken: async () => tokenFor(clocked.keys, user.id, 'customer', 900),
      onIssue: (issue) => issues.push(issue),
    });
    await client.connect();

    // the warning is due 15 s after the token was signed (at or after the reset): at 20 s it is out, the token still valid
    clock.advance(20_000);
    const deadline = Date.now() + 5_000;
    while ((client.received.get('ack') ?? 0) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(client.received.get('session.expiring')).toBe(1);
    expect(client.received.get('ack')).toBe(1);

    clock.advance(15_000); // past the first token's exp
    await expect(client.request('ping', {})).resolves.toBeDefined();
    expect(client.connected).toBe(true);
    expect(issues).toEqual([]);
    client.close();
  });
});
