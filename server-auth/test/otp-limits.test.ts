import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, uniquePhone, uniqueTestPhone, type TestStack } from '../../test-support/stack.js';
import { api } from './accounts-helpers.js';

/** A stack with tiny per-IP limits; X-Forwarded-For trusted only from loopback (the default). */
let proxied: TestStack;
/** The same limits, but no proxy trusted at all: X-Forwarded-For is ignored. */
let direct: TestStack;

const lowLimits = { OTP_IP_SENDS_PER_HOUR: '3', OTP_IP_VERIFY_FAILURES: '4' };

beforeAll(async () => {
  [proxied, direct] = await Promise.all([
    startTestStack({ realtime: false, authEnv: lowLimits }),
    startTestStack({ realtime: false, authEnv: { ...lowLimits, TRUST_PROXY: 'false' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([proxied?.stop(), direct?.stop()]);
});

const send = (stack: TestStack, phone: string, ip?: string) =>
  api(stack).call('POST', '/api/auth/otp/send', { body: { phone, role: 'customer' }, headers: ip ? { 'x-forwarded-for': ip } : {} });
const verify = (stack: TestStack, phone: string, code: string, ip?: string) =>
  api(stack).call('POST', '/api/auth/otp/verify', { body: { phone, role: 'customer', code }, headers: ip ? { 'x-forwarded-for': ip } : {} });

describe('per-IP limits', () => {
  it('stops a flood of sends to many phones from one address with rate_limited and Retry-After', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await send(proxied, uniquePhone(), '203.0.113.7'));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 429, 429]);
    expect(answers[3]!.body.error).toMatchObject({ code: 'rate_limited', details: { scope: 'ip' } });
    expect(Number(answers[3]!.headers.get('retry-after'))).toBeGreaterThan(3500);
  });

  it('counts clients behind a loopback proxy by X-Forwarded-For', async () => {
    expect((await send(proxied, uniquePhone(), '203.0.113.8')).status).toBe(202);
  });

  it('ignores X-Forwarded-For when no proxy is trusted, so rotating it does not escape the limit', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await send(direct, uniquePhone(), `198.51.100.${i}`)).status);
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
  });

  it('stops a flood of failed verifies across many phones from one address', async () => {
    const ip = '203.0.113.9';
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await verify(proxied, uniquePhone(), '123456', ip)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    const limited = await verify(proxied, uniquePhone(), '123456', ip);
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', details: { scope: 'ip' } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('does not count successful verifies against the address (fleets log in from one host)', async () => {
    const ip = '203.0.113.10';
    for (let i = 0; i < 10; i++) {
      const phone = uniqueTestPhone();
      expect((await send(proxied, phone, ip)).status).toBe(202);
      expect((await verify(proxied, phone, '000000', ip)).status).toBe(200);
    }
  });
});

describe('test phones', () => {
  it('skip the send limits: many sends to one test phone and beyond the IP limit', async () => {
    const phone = uniqueTestPhone();
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await send(proxied, phone, '203.0.113.11')).status);
    expect(statuses).toEqual(Array(8).fill(202));
    const { rows } = await proxied.query(`SELECT 1 FROM dev_sms_outbox WHERE phone = $1`, [phone]);
    expect(rows).toHaveLength(0);
  });

  it('do not skip the verify limits: five wrong codes kill the fixed code too', async () => {
    const phone = uniqueTestPhone();
    await send(proxied, phone, '203.0.113.12');
    const statuses = [];
    // a different address per guess, so only the per-code limit is in play
    for (let i = 0; i < 5; i++) statuses.push((await verify(proxied, phone, '999999', `203.0.113.${20 + i}`)).status);
    expect(statuses).toEqual(Array(5).fill(401));
    const right = await verify(proxied, phone, '000000', '203.0.113.13');
    expect(right.status).toBe(429);
    expect(right.body.error.code).toBe('too_many_attempts');
  });
});
