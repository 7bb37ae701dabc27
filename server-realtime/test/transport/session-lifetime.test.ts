/**
 * Contract 1.1, sessions: a socket lives no longer than its access token, and a login ended by
 * logout or revocation ends its sockets. Token expiry runs on a virtual clock (no waiting).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../test-support/manual-clock.js';
import { createUser, loginViaOtp, startTestStack, tokenFor, type TestStack } from '../../../test-support/stack.js';
import { connect, openSocket, refusedHandshake, type TestClient } from '../support/client.js';

const SHORT_TTL_S = 30;

/** A token of SHORT_TTL_S and its times in ms (the virtual clock is moved relative to them). */
function shortToken(stack: TestStack, userId: string): { token: string; issuedAtMs: number; expiresAtMs: number } {
  const token = tokenFor(stack.keys, userId, 'customer', SHORT_TTL_S);
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
  return { token, issuedAtMs: claims.iat * 1000, expiresAtMs: claims.exp * 1000 };
}

async function waitForClose(client: TestClient, withinMs: number): Promise<{ code: number; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    client.closed,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`socket still open after ${withinMs} ms`)), withinMs))),
  ]).finally(() => clearTimeout(timer));
  return { code, reason: client.closeReason ?? '' };
}

describe('sockets and the lifetime of their token', () => {
  let stack: TestStack;
  const clock = new ManualClock();

  beforeAll(async () => {
    stack = await startTestStack({
      sessionClock: clock,
      authEnv: { ACCESS_TOKEN_TTL_S: String(SHORT_TTL_S), REFRESH_REUSE_GRACE_S: '0' },
      realtimeEnv: { SESSION_REVOCATION_POLL_MS: '200' },
    });
  });
  afterAll(async () => stack.stop());
  beforeEach(() => clock.reset());

  it('warns with session.expiring half the lifetime before exp (at most 60 s), then closes with 4401 token_expired at exp', async () => {
    const customer = await createUser(stack, 'customer');
    const short = shortToken(stack, customer.id);
    clock.reset();
    const client = await connect(stack.realtime!.wsUrl, short.token);
    const warnAtMs = short.issuedAtMs + (SHORT_TTL_S / 2) * 1000;

    clock.advanceTo(warnAtMs - 100);
    expect((await client.request('ping', {})).type).toBe('ack');
    expect(client.frames.some((f) => f.type === 'session.expiring')).toBe(false);
    clock.advanceTo(warnAtMs);
    const warning = await client.nextOfType('session.expiring');
    const expiresAtMs = Date.parse(warning.data.expiresAt as string);
    expect(expiresAtMs).toBe(short.expiresAtMs);

    clock.advanceTo(expiresAtMs - 1);
    expect((await client.request('ping', {})).type).toBe('ack');
    clock.advanceTo(expiresAtMs);
    expect(await waitForClose(client, 2_000)).toEqual({ code: 4401, reason: 'token_expired' });
  });

  it('does not handle a ride.request on a socket whose token has expired', async () => {
    const customer = await createUser(stack, 'customer');
    const short = shortToken(stack, customer.id);
    clock.reset();
    const client = await connect(stack.realtime!.wsUrl, short.token);
    clock.advanceTo(short.expiresAtMs);
    client.send('ride.request', { pickup: { lat: 24.86, lng: 67.0 }, dropoff: { lat: 24.9, lng: 67.1 }, fare: 50_000, paymentMethod: 'cash' }, 'late');
    expect((await waitForClose(client, 2_000)).code).toBe(4401);
    expect(client.frames.some((f) => f.id === 'late')).toBe(false);
    const rides = await stack.query('SELECT 1 FROM rides WHERE customer_id = $1', [customer.id]);
    expect(rides.rowCount).toBe(0);
  });

  it('keeps a socket past the old exp after session.refresh with a fresh token of the same user', async () => {
    const customer = await createUser(stack, 'customer');
    const short = shortToken(stack, customer.id);
    clock.reset();
    const client = await connect(stack.realtime!.wsUrl, short.token);
    clock.advanceTo(short.issuedAtMs + (SHORT_TTL_S / 2) * 1000);
    await client.nextOfType('session.expiring');

    const answer = await client.request('session.refresh', { accessToken: tokenFor(stack.keys, customer.id, 'customer', 900) });
    expect(answer.type).toBe('ack');
    expect(Date.parse(answer.data.expiresAt as string)).toBeGreaterThan(clock.now() + 800_000);

    clock.advanceTo(short.expiresAtMs + 5_000);
    expect((await client.request('ping', {})).type).toBe('ack');
    expect(client.closeCode).toBeUndefined();
    await client.close();
  });

  it('refuses session.refresh with another user\'s token (invalid_token) and keeps the socket', async () => {
    const customer = await createUser(stack, 'customer');
    const other = await createUser(stack, 'customer');
    const client = await connect(stack.realtime!.wsUrl, customer.token);
    const answer = await client.request('session.refresh', { accessToken: other.token });
    expect(answer.error?.code).toBe('invalid_token');
    expect((await client.request('session.refresh', { accessToken: 'not-a-token' })).error?.code).toBe('invalid_token');
    expect((await client.request('ping', {})).type).toBe('ack');
    await client.close();
  });

  it('closes the sockets of a login with 4401 within 5 s of its logout, and refuses its tokens at the handshake afterwards', async () => {
    const login = await loginViaOtp(stack);
    const client = await connect(stack.realtime!.wsUrl, login.accessToken);

    const res = await fetch(`${stack.auth!.url}/api/auth/logout`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: login.refreshToken }),
    });
    expect(res.status).toBe(204);

    expect(await waitForClose(client, 5_000)).toEqual({ code: 4401, reason: 'session_revoked' });
    const refusal = await refusedHandshake(openSocket(stack.realtime!.wsUrl, login.accessToken));
    expect(refusal.status).toBe(401);
    expect(refusal.body.error.code).toBe('session_revoked');
  });

  it('closes the sockets of a login whose refresh-token family was revoked for reuse', async () => {
    const login = await loginViaOtp(stack);
    const post = (path: string, body: unknown) =>
      fetch(`${stack.auth!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const rotated = (await (await post('/api/auth/refresh', { refreshToken: login.refreshToken })).json()) as { accessToken: string };
    const client = await connect(stack.realtime!.wsUrl, rotated.accessToken);

    const reuse = await post('/api/auth/refresh', { refreshToken: login.refreshToken });
    expect(reuse.status).toBe(401);

    expect(await waitForClose(client, 5_000)).toEqual({ code: 4401, reason: 'session_revoked' });
    expect((await refusedHandshake(openSocket(stack.realtime!.wsUrl, login.accessToken))).body.error.code).toBe('session_revoked');
  });

  it('leaves the sockets of the same user\'s other logins open', async () => {
    const phone = (await loginViaOtp(stack)).user.phone;
    const first = await loginViaOtp(stack, phone);
    const second = await loginViaOtp(stack, phone);
    await fetch(`${stack.auth!.url}/api/auth/logout`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: first.refreshToken }),
    });
    const refusal = await refusedHandshake(openSocket(stack.realtime!.wsUrl, first.accessToken));
    expect(refusal.body.error.code).toBe('session_revoked');
    const client = await connect(stack.realtime!.wsUrl, second.accessToken);
    expect((await client.request('ping', {})).type).toBe('ack');
    await client.close();
  });
});
