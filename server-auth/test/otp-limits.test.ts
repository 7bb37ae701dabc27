import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, uniquePhone, uniqueTestPhone, type TestStack } from '../../test-support/stack.js';
import { silentLogger } from '@drivrr/shared/logger';
import { loadAuthConfig, startAuthServer } from '../src/index.js';
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

describe('shared counters', () => {
  it('counts per-IP sends in PostgreSQL: several auth instances agree, and a restart forgets nothing', async () => {
    const ip = '203.0.113.40';
    const second = await startAuthServer(loadAuthConfig({ ...proxied.env, ...lowLimits }), { logger: silentLogger });
    const sendVia = (url: string) =>
      fetch(`${url}/api/auth/otp/send`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ phone: uniquePhone(), role: 'customer' }),
      }).then((r) => r.status);
    try {
      expect([await sendVia(proxied.auth!.url), await sendVia(second.url), await sendVia(proxied.auth!.url)]).toEqual([202, 202, 202]);
      expect(await sendVia(second.url)).toBe(429);
    } finally {
      await second.stop();
    }
    const restarted = await startAuthServer(loadAuthConfig({ ...proxied.env, ...lowLimits }), { logger: silentLogger });
    try {
      expect(await sendVia(restarted.url)).toBe(429);
    } finally {
      await restarted.stop();
    }
  });
});

describe('per-phone limits over a day', () => {
  it('caps the codes a phone gets in 24 hours (OTP_SENDS_PER_DAY, default 10)', async () => {
    const phone = uniquePhone();
    // nine codes earlier today, outside the hourly window
    await proxied.query(
      `INSERT INTO otp_codes (phone, role, code_hash, expires_at, created_at)
       SELECT $1, 'customer', 'x', now() - interval '2 hours', now() - interval '3 hours' + g * interval '1 minute' FROM generate_series(1, 9) g`,
      [phone],
    );
    expect((await send(proxied, phone, '203.0.113.50')).status).toBe(202);
    await proxied.query(`UPDATE otp_codes SET created_at = now() - interval '90 minutes' WHERE phone = $1 AND created_at > now() - interval '1 minute'`, [phone]);

    const capped = await send(proxied, phone, '203.0.113.51');

    expect(capped.status).toBe(429);
    expect(capped.body.error).toMatchObject({ code: 'rate_limited', details: { scope: 'phone_day' } });
    expect(Number(capped.headers.get('retry-after'))).toBeGreaterThan(20 * 3600);
  });

  it('makes a phone wait longer and longer after wrong codes beyond the free ones (OTP_FREE_FAILURES, default 3)', async () => {
    const phone = uniquePhone();
    expect((await send(proxied, phone, '203.0.113.60')).status).toBe(202);
    const statuses = [];
    // a different address per guess, so that only the per-phone delay is in play
    for (let i = 0; i < 5; i++) statuses.push((await verify(proxied, phone, '999999', `203.0.113.${61 + i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    const waiting = await verify(proxied, phone, '999999', '203.0.113.70');
    expect(waiting.body.error).toMatchObject({ code: 'rate_limited', details: { scope: 'phone_backoff', retryAfterS: 2 } });
    expect(waiting.headers.get('retry-after')).toBe('2');

    // the wait has passed (moved in the database rather than waited for): the right code works
    await proxied.query(`UPDATE otp_codes SET last_failed_at = last_failed_at - interval '3 seconds' WHERE phone = $1`, [phone]);
    const { rows } = await proxied.query<{ code: string }>(`SELECT code FROM dev_sms_outbox WHERE phone = $1 ORDER BY id DESC LIMIT 1`, [phone]);
    expect((await verify(proxied, phone, rows[0]!.code, '203.0.113.71')).status).toBe(200);
  });
});

describe('countries', () => {
  it('sends codes only to phones of OTP_ALLOWED_COUNTRIES (default DEFAULT_COUNTRY), refusing others with country_not_allowed', async () => {
    const foreign = await send(proxied, '+971501234567', '203.0.113.80');
    expect(foreign.status).toBe(422);
    expect(foreign.body.error).toMatchObject({ code: 'country_not_allowed', details: { country: 'AE', allowedCountries: ['PK'] } });
    expect((await send(proxied, uniquePhone(), '203.0.113.81')).status).toBe(202);
  });

  it('reads OTP_ALLOWED_COUNTRIES as a list of ISO 3166 codes and refuses anything else', () => {
    expect([...loadAuthConfig({ ...proxied.env, OTP_ALLOWED_COUNTRIES: 'PK, AE' }).otp.allowedCountries]).toEqual(['PK', 'AE']);
    expect(() => loadAuthConfig({ ...proxied.env, OTP_ALLOWED_COUNTRIES: 'pakistan' })).toThrow(/OTP_ALLOWED_COUNTRIES/);
  });
});
