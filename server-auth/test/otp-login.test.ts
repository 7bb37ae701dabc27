import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema, OtpVerifyResponse, UserView } from '@drivrr/shared/protocol';
import { startTestStack, uniquePhone, type TestStack } from '../../test-support/stack.js';
import { api, outboxCode, wrongCode } from './accounts-helpers.js';

let stack: TestStack;
let http: ReturnType<typeof api>;

beforeAll(async () => {
  // the per-code limits are tested here; the growing delay after wrong codes has its own tests (otp-limits)
  stack = await startTestStack({ realtime: false, authEnv: { OTP_FREE_FAILURES: '1000' } });
  http = api(stack);
});
afterAll(async () => {
  await stack?.stop();
});

async function sendAndRead(phone: string, role: 'customer' | 'driver' | 'operator' = 'customer') {
  const sent = await http.post('/api/auth/otp/send', { phone, role });
  expect(sent.status).toBe(202);
  return outboxCode(stack, phone);
}

describe('OTP login happy path', () => {
  it('sends a code to the dev outbox, verifies it and creates a customer on first login', async () => {
    const phone = uniquePhone();
    const sent = await http.post('/api/auth/otp/send', { phone, role: 'customer' });
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ expiresInS: 300, resendAfterS: 30 });
    const code = await outboxCode(stack, phone);
    expect(code).toMatch(/^\d{6}$/);

    const verified = await http.post('/api/auth/otp/verify', { phone, code, role: 'customer' });

    expect(verified.status).toBe(200);
    const body = OtpVerifyResponse.parse(verified.body);
    expect(body.isNewUser).toBe(true);
    expect(body.user).toMatchObject({ phone, role: 'customer', name: null });
    expect(body.expiresInS).toBe(900);
    const me = await http.get('/api/users/me', body.accessToken);
    expect(me.status).toBe(200);
    expect(UserView.parse(me.body).id).toBe(body.user.id);
  });

  it('lets the same phone hold a customer and a driver account, and finds them again on later logins', async () => {
    const phone = uniquePhone();
    const customer = await http.post('/api/auth/otp/verify', { phone, role: 'customer', code: await sendAndRead(phone, 'customer') });
    const driver = await http.post('/api/auth/otp/verify', { phone, role: 'driver', code: await sendAndRead(phone, 'driver') });
    expect(customer.status).toBe(200);
    expect(driver.status).toBe(200);
    expect(driver.body.user.id).not.toBe(customer.body.user.id);
    expect(driver.body.user.role).toBe('driver');
    expect(driver.body.isNewUser).toBe(true);

    await stack.query(`UPDATE otp_codes SET created_at = created_at - interval '1 minute' WHERE phone = $1`, [phone]);
    const again = await http.post('/api/auth/otp/verify', { phone, role: 'driver', code: await sendAndRead(phone, 'driver') });
    expect(again.status).toBe(200);
    expect(again.body.isNewUser).toBe(false);
    expect(again.body.user.id).toBe(driver.body.user.id);
  });

  it('normalises local formats to E.164', async () => {
    const local = `0${uniquePhone().slice(3)}`; // 0300xxxxxxx
    const sent = await http.post('/api/auth/otp/send', { phone: local.replace(/^(\d{4})/, '$1 '), role: 'customer' });
    expect(sent.status).toBe(202);
    const e164 = `+92${local.slice(1)}`;
    const verified = await http.post('/api/auth/otp/verify', { phone: local, role: 'customer', code: await outboxCode(stack, e164) });
    expect(verified.status).toBe(200);
    expect(verified.body.user.phone).toBe(e164);
  });

  it('stores the code only as a keyed hash', async () => {
    const phone = uniquePhone();
    const code = await sendAndRead(phone);
    const { rows } = await stack.query<{ code_hash: string }>(`SELECT code_hash FROM otp_codes WHERE phone = $1`, [phone]);
    expect(rows[0]!.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.code_hash).not.toContain(code);
  });
});

describe('OTP abuse', () => {
  it('stops brute force: five wrong codes, then too_many_attempts even with the right code', async () => {
    const phone = uniquePhone();
    const code = await sendAndRead(phone);
    const left: number[] = [];
    for (let i = 0; i < 5; i++) {
      const wrong = await http.post('/api/auth/otp/verify', { phone, role: 'customer', code: wrongCode(code) });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe('invalid_code');
      left.push(wrong.body.error.details.attemptsLeft);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);

    const right = await http.post('/api/auth/otp/verify', { phone, role: 'customer', code });

    expect(right.status).toBe(429);
    expect(right.body.error.code).toBe('too_many_attempts');
  });

  it('counts concurrent wrong guesses atomically: never more than five tries on one code', async () => {
    const phone = uniquePhone();
    const code = await sendAndRead(phone);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => http.post('/api/auth/otp/verify', { phone, role: 'customer', code: wrongCode(code) })),
    );
    const invalid = answers.filter((a) => a.body.error.code === 'invalid_code');
    expect(invalid.map((a) => a.body.error.details.attemptsLeft).sort()).toEqual([0, 1, 2, 3, 4]);
    // Every other answer refused without counting a try. On a loaded machine (the whole suite on 2
    // cores) a request can wait past the pool's 2 s for a connection and get db_unavailable: not a
    // try either. The tally says what came back when this fails.
    const tally: Record<string, number> = {};
    for (const a of answers) tally[a.body.error.code] = (tally[a.body.error.code] ?? 0) + 1;
    const { invalid_code: tries = 0, too_many_attempts: refused = 0, db_unavailable: unavailable = 0, ...other } = tally;
    expect({ tries, refusedWithoutATry: refused + unavailable, other }).toEqual({ tries: 5, refusedWithoutATry: 15, other: {} });
    const { rows } = await stack.query<{ attempts: number }>(`SELECT attempts FROM otp_codes WHERE phone = $1`, [phone]);
    expect(rows[0]!.attempts).toBe(5);
    expect((await http.post('/api/auth/otp/verify', { phone, role: 'customer', code })).status).toBe(429);
  });

  it('lets exactly one of several concurrent right verifies through', async () => {
    const phone = uniquePhone();
    const code = await sendAndRead(phone);
    const answers = await Promise.all(Array.from({ length: 5 }, () => http.post('/api/auth/otp/verify', { phone, role: 'customer', code })));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 401 && a.body.error.code === 'invalid_code')).toHaveLength(4);
  });

  it('refuses an expired code with code_expired', async () => {
    const phone = uniquePhone();
    const code = await sendAndRead(phone);
    await stack.query(`UPDATE otp_codes SET expires_at = now() - interval '1 second' WHERE phone = $1`, [phone]);

    const answer = await http.post('/api/auth/otp/verify', { phone, role: 'customer', code });

    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('code_expired');
  });

  it('refuses a replayed (already used) code', async () => {
    const phone = uniquePhone();
    const code = await sendAndRead(phone);
    expect((await http.post('/api/auth/otp/verify', { phone, role: 'customer', code })).status).toBe(200);

    const replay = await http.post('/api/auth/otp/verify', { phone, role: 'customer', code });

    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('invalid_code');
  });

  it('refuses a code sent for another role', async () => {
    const phone = uniquePhone();
    const code = await sendAndRead(phone, 'customer');
    const answer = await http.post('/api/auth/otp/verify', { phone, role: 'driver', code });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('invalid_code');
  });

  it('only the newest code is valid after a resend', async () => {
    const phone = uniquePhone();
    const first = await sendAndRead(phone);
    await stack.query(`UPDATE otp_codes SET created_at = created_at - interval '31 seconds' WHERE phone = $1`, [phone]);
    const second = await sendAndRead(phone);
    if (first !== second) {
      const old = await http.post('/api/auth/otp/verify', { phone, role: 'customer', code: first });
      expect(old.status).toBe(401);
    }
    expect((await http.post('/api/auth/otp/verify', { phone, role: 'customer', code: second })).status).toBe(200);
  });

  it('limits resends: not within 30 s, and at most 5 an hour per phone, with Retry-After', async () => {
    const phone = uniquePhone();
    await sendAndRead(phone);
    const tooSoon = await http.post('/api/auth/otp/send', { phone, role: 'customer' });
    expect(tooSoon.status).toBe(429);
    expect(tooSoon.body.error.code).toBe('rate_limited');
    expect(Number(tooSoon.headers.get('retry-after'))).toBeGreaterThan(25);
    expect(Number(tooSoon.headers.get('retry-after'))).toBeLessThanOrEqual(30);

    for (let i = 0; i < 4; i++) {
      await stack.query(`UPDATE otp_codes SET created_at = created_at - interval '31 seconds' WHERE phone = $1`, [phone]);
      expect((await http.post('/api/auth/otp/send', { phone, role: 'customer' })).status).toBe(202);
    }
    await stack.query(`UPDATE otp_codes SET created_at = created_at - interval '31 seconds' WHERE phone = $1`, [phone]);
    const sixth = await http.post('/api/auth/otp/send', { phone, role: 'customer' });

    expect(sixth.status).toBe(429);
    expect(sixth.body.error.code).toBe('rate_limited');
    expect(sixth.body.error.details.scope).toBe('phone');
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(3000);
  });

  it('lets exactly one of several concurrent sends to one phone through', async () => {
    const phone = uniquePhone();
    const answers = await Promise.all(Array.from({ length: 6 }, () => http.post('/api/auth/otp/send', { phone, role: 'customer' })));
    expect(answers.map((a) => a.status).sort()).toEqual([202, 429, 429, 429, 429, 429]);
    const { rows } = await stack.query(`SELECT 1 FROM dev_sms_outbox WHERE phone = $1`, [phone]);
    expect(rows).toHaveLength(1);
  });

  it('refuses malformed phones with invalid_phone', async () => {
    for (const phone of ['12', '+92399123', 'abc', '++923001234567', '+0000000000', '0300-12']) {
      const answer = await http.post('/api/auth/otp/send', { phone, role: 'customer' });
      expect(answer.status, phone).toBe(400);
      expect(ErrorBodySchema.parse(answer.body).error.code, phone).toBe('invalid_phone');
    }
  });
});

describe('operators', () => {
  it('lets a phone listed in OPERATOR_PHONES log in as operator and refuses others with forbidden', async () => {
    const allowed = await http.post('/api/auth/otp/send', { phone: '+923990000000', role: 'operator' });
    expect(allowed.status).toBe(202);
    const verified = await http.post('/api/auth/otp/verify', { phone: '+923990000000', role: 'operator', code: '000000' });
    expect(verified.status).toBe(200);
    expect(verified.body.user.role).toBe('operator');

    const refused = await http.post('/api/auth/otp/send', { phone: uniquePhone(), role: 'operator' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
  });
});
