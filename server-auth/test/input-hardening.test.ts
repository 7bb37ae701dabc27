/**
 * Contract 1.1 on REST: text fields refuse control characters (never a 500), a correctly signed
 * token with a non-UUID subject is a 401, hostile but well-shaped values never produce a 5xx, and
 * the authenticated API is rate-limited per user and per client IP (429 + Retry-After).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '@drivrr/shared';
import { createRng } from '@drivrr/shared/random';
import { insertRide } from '../../test-support/ride-fixtures.js';
import { createUser, startTestStack, type TestStack, type TestUser } from '../../test-support/stack.js';
import { loadAuthConfig } from '../src/index.js';
import { api } from './accounts-helpers.js';

describe('hostile input on REST', () => {
  let stack: TestStack;
  let http: ReturnType<typeof api>;
  let customer: TestUser;
  let driver: TestUser;
  let rideId: string;

  beforeAll(async () => {
    stack = await startTestStack({ realtime: false });
    http = api(stack);
    customer = await createUser(stack, 'customer');
    driver = await createUser(stack, 'driver');
    rideId = await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'completed' });
  });
  afterAll(async () => stack.stop());

  it('refuses a NUL byte in a name, an address label, a vehicle make, a rating comment and a cursor with 400 validation_failed', async () => {
    const answers = [
      await http.patch('/api/users/me', { name: 'Ali\u0000' }, customer.token),
      await http.post('/api/users/me/addresses', { label: 'Ho\u0000me', address: 'Street 1', lat: 24.86, lng: 67.0 }, customer.token),
      await http.put('/api/users/me/vehicle', { make: 'Suz\u0000uki', model: 'Alto', color: 'White', plate: 'KHI-1', type: 'car' }, driver.token),
      await http.post(`/api/rides/${rideId}/rating`, { stars: 5, comment: 'great\u0000' }, customer.token),
      await http.get(`/api/rides?cursor=${encodeURIComponent('abc\u0000')}`, customer.token),
      await http.get(`/api/payments/transactions?cursor=${encodeURIComponent('\u0000')}`, customer.token),
      await http.patch('/api/users/me', { name: 'Ali\u001b[31m' }, customer.token),
    ];
    expect(answers.map((a) => [a.status, a.body?.error?.code])).toEqual(Array(answers.length).fill([400, 'validation_failed']));
    // tab and newline stay text
    expect((await http.post(`/api/rides/${rideId}/rating`, { stars: 5, comment: 'clean car\nfriendly\tdriver' }, customer.token)).status).toBe(201);
  });

  it('answers a correctly signed token whose subject is not a UUID with 401 invalid_token', async () => {
    const token = signAccessToken({ sub: 'not-a-uuid', role: 'customer' }, { privateKey: stack.keys.privateKeyPem, kid: stack.keys.kid }).token;
    const answer = await http.get('/api/users/me', token);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_token');
  });

  it('never answers 5xx to a seeded fuzz of well-shaped requests with hostile values (seed 15)', async () => {
    const random = createRng(15).next;
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const texts = ['\u0000', 'a\u0000b', '\u0007', '\u202e', 'x'.repeat(300), '', ' ', '\ud800', "'; DROP TABLE users; --", '\u0085', 'ok'];
    const numbers = [0, -1, 1e308, -1e308, 2 ** 53, Number.MAX_SAFE_INTEGER, 0.5, 100_000_001, 91, -181, 5];
    const ids = [rideId, '00000000-0000-0000-0000-000000000000', driver.id, customer.id, 'not-a-uuid', '%00'];
    // a lone surrogate cannot be percent-encoded: send its (invalid) UTF-8 bytes instead
    const q = (text: string) => (/[\ud800-\udfff]/.test(text) ? '%ED%A0%80' : encodeURIComponent(text));
    const requests: (() => [string, string, unknown, TestUser])[] = [
      () => ['PATCH', '/api/users/me', { name: pick(texts), ...(random() < 0.3 ? { email: `${pick(texts)}@x.co` } : {}) }, customer],
      () => ['POST', '/api/users/me/addresses', { label: pick(texts), address: pick(texts), lat: pick(numbers), lng: pick(numbers) }, customer],
      () => ['PUT', '/api/users/me/vehicle', { make: pick(texts), model: pick(texts), color: pick(texts), plate: pick(texts), type: pick(['car', 'bike', 'boat']) }, driver],
      () => ['POST', `/api/rides/${pick(ids)}/rating`, { stars: pick(numbers), comment: pick(texts) }, customer],
      () => ['GET', `/api/rides?limit=${pick(numbers)}&cursor=${q(pick(texts))}`, undefined, pick([customer, driver])],
      () => ['GET', `/api/rides/${pick(ids)}`, undefined, pick([customer, driver])],
      () => ['GET', `/api/payments/transactions?cursor=${q(pick(texts))}`, undefined, customer],
    ];
    const failures: string[] = [];
    for (let i = 0; i < 250; i++) {
      const [method, path, body, user] = pick(requests)();
      const answer = await http.call(method, path, { ...(body === undefined ? {} : { body }), token: user.token });
      if (answer.status >= 500 || answer.body?.error?.code === 'internal_error') failures.push(`${method} ${path} ${JSON.stringify(body)} -> ${answer.status}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('rate limits of the authenticated API', () => {
  let stack: TestStack;
  let http: ReturnType<typeof api>;

  beforeAll(async () => {
    stack = await startTestStack({
      realtime: false,
      // X-Forwarded-For is believed from loopback (TRUST_PROXY default): the test plays the proxy
      authEnv: { API_USER_REQUESTS_PER_MIN: '5', API_IP_REQUESTS_PER_MIN: '4', API_TRUSTED_IPS: '198.51.100.7' },
    });
    http = api(stack);
  });
  afterAll(async () => stack.stop());

  const me = (user: TestUser, ip: string) => http.call('GET', '/api/users/me', { token: user.token, headers: { 'x-forwarded-for': ip } });

  it('answers a user past API_USER_REQUESTS_PER_MIN with 429 rate_limited and Retry-After, from any address', async () => {
    const user = await createUser(stack, 'customer');
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await me(user, '198.51.100.7')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await me(user, '198.51.100.7');
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', details: { scope: 'user' } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('counts many users behind one address per IP, but never an address of API_TRUSTED_IPS', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => createUser(stack, 'customer')));
    const fromOneAddress = [];
    for (const user of users) fromOneAddress.push((await me(user, '203.0.113.5')).status);
    expect(fromOneAddress).toEqual([200, 200, 200, 200, 429, 429]);
    expect((await me(users[5]!, '203.0.113.5')).body.error.details.scope).toBe('ip');

    const fromTrusted = [];
    for (const user of users) fromTrusted.push((await me(user, '198.51.100.7')).status);
    expect(fromTrusted).toEqual(Array(6).fill(200));
  });

  it('exempts loopback from the per-IP limits by default outside production, and nothing in production', () => {
    const base = { ...stack.env, API_TRUSTED_IPS: '' };
    expect(loadAuthConfig({ ...base, NODE_ENV: 'development' }).api.trustedIps).toEqual(['127.0.0.1/8', '::1/128']);
    expect(loadAuthConfig({ ...base, NODE_ENV: 'production', OTP_PEPPER: 'x'.repeat(32), SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'a', TWILIO_AUTH_TOKEN: 'b', TWILIO_FROM: 'c', OTP_TEST_PHONES: '', REALTIME_PUBLIC_URL: 'https://rt.example.com' }).api.trustedIps).toEqual([]);
    expect(() => loadAuthConfig({ ...base, API_TRUSTED_IPS: 'localhost' })).toThrow(/API_TRUSTED_IPS/);
  });
});
