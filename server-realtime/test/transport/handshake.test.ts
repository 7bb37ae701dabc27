import { generateSigningKeys } from '@drivrr/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestStack, tokenFor, type TestStack, type TestUser } from '../../../test-support/stack.js';
import { connect, openSocket, refusedHandshake } from '../support/client.js';

describe('WebSocket handshake', () => {
  let stack: TestStack;
  let wsUrl: string;
  let driver: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    stack = await startTestStack({ auth: false });
    wsUrl = stack.realtime!.wsUrl;
    driver = await createUser(stack, 'driver', { name: 'Dana Driver' });
    customer = await createUser(stack, 'customer');
  });
  afterAll(async () => stack.stop());

  it('refuses a handshake without a token with 401 and the contract error body', async () => {
    const refusal = await refusedHandshake(openSocket(wsUrl, undefined));
    expect(refusal.status).toBe(401);
    expect(refusal.body).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
  });

  it('refuses a forged token (signed with another key)', async () => {
    const forged = tokenFor(generateSigningKeys(), driver.id, 'driver');
    const refusal = await refusedHandshake(openSocket(wsUrl, forged));
    expect(refusal.status).toBe(401);
    expect(refusal.body.error.code).toBe('invalid_token');
  });

  it('refuses a garbage token and a token with its signature altered', async () => {
    expect((await refusedHandshake(openSocket(wsUrl, 'not-a-jwt'))).body.error.code).toBe('invalid_token');
    const tampered = driver.token.slice(0, -4) + (driver.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await refusedHandshake(openSocket(wsUrl, tampered))).status).toBe(401);
  });

  it('refuses an expired token with token_expired', async () => {
    const expired = tokenFor(stack.keys, driver.id, 'driver', -10);
    const refusal = await refusedHandshake(openSocket(wsUrl, expired));
    expect(refusal.status).toBe(401);
    expect(refusal.body.error.code).toBe('token_expired');
  });

  it('refuses a valid token whose user no longer exists', async () => {
    const gone = await createUser(stack, 'customer');
    await stack.query('DELETE FROM users WHERE id = $1', [gone.id]);
    const refusal = await refusedHandshake(openSocket(wsUrl, gone.token));
    expect(refusal.status).toBe(401);
    expect(refusal.body.error.code).toBe('invalid_token');
  });

  it('refuses upgrades on other paths with 404', async () => {
    const refusal = await refusedHandshake(openSocket(wsUrl.replace('/ws', '/other'), driver.token));
    expect(refusal.status).toBe(404);
  });

  it.each(['header', 'query', 'subprotocol'] as const)('accepts the token from the %s and sends session.state first', async (carrier) => {
    const client = await connect(wsUrl, driver.token, { carrier });
    expect(client.sessionState?.data).toMatchObject({
      user: { id: driver.id, role: 'driver', name: 'Dana Driver', phone: driver.phone },
      activeRide: null,
      openRequest: null,
      driver: { online: false, location: null },
    });
    if (carrier === 'subprotocol') expect(client.ws.protocol).toBe('drivrr.v1');
    await client.close();
  });

  it('takes the role from the token: a customer cannot send driver messages', async () => {
    const client = await connect(wsUrl, customer.token);
    const answer = await client.request('driver.online', { lat: 24.86, lng: 67.0 });
    expect(answer).toMatchObject({ type: 'error', error: { code: 'forbidden' } });
    expect(client.sessionState?.data.driver).toBeUndefined();
    await client.close();
  });

  it('counts refused handshakes by reason in /metrics', async () => {
    const text = await (await fetch(`${stack.realtime!.url}/metrics`)).text();
    expect(text).toMatch(/drivrr_ws_handshake_failures_total\{reason="missing_token"\} [1-9]/);
    expect(text).toMatch(/drivrr_ws_handshake_failures_total\{reason="token_expired"\} [1-9]/);
    expect(text).toMatch(/drivrr_ws_handshake_failures_total\{reason="unknown_user"\} [1-9]/);
  });
});
