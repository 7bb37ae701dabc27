import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHousekeeping } from '../src/usecases/housekeeping.js';
import { loginViaOtp, startTestStack, uniquePhone, type TestStack } from '../../test-support/stack.js';

let stack: TestStack;
let pool: pg.Pool;

beforeAll(async () => {
  stack = await startTestStack({ realtime: false });
  pool = new pg.Pool({ connectionString: stack.db.url, max: 2 });
});
afterAll(async () => {
  await pool?.end();
  await stack?.stop();
});

describe('accounts housekeeping', () => {
  it('purges day-old codes and outbox messages and week-dead refresh tokens, keeping live ones', async () => {
    const oldPhone = uniquePhone();
    const freshPhone = uniquePhone();
    for (const [phone, age] of [[oldPhone, '25 hours'], [freshPhone, '1 minute']] as const) {
      await stack.query(
        `INSERT INTO otp_codes (phone, role, code_hash, expires_at, created_at) VALUES ($1, 'customer', 'x', now(), now() - $2::interval)`,
        [phone, age],
      );
      await stack.query(`INSERT INTO dev_sms_outbox (phone, role, code, body, created_at) VALUES ($1, 'customer', '1', 'b', now() - $2::interval)`, [phone, age]);
    }
    const dead = await loginViaOtp(stack);
    const live = await loginViaOtp(stack);
    await stack.query(`UPDATE refresh_tokens SET revoked_at = now() - interval '8 days' WHERE user_id = $1`, [dead.user.id]);

    const purged = await runHousekeeping(pool);

    expect(purged).toMatchObject({ codes: 1, outbox: 1, refreshTokens: 1 });
    const left = await stack.query(`SELECT phone FROM otp_codes WHERE phone = ANY($1)`, [[oldPhone, freshPhone]]);
    expect(left.rows.map((r) => r.phone)).toEqual([freshPhone]);
    const tokens = await stack.query(`SELECT user_id FROM refresh_tokens WHERE user_id = ANY($1::uuid[])`, [[dead.user.id, live.user.id]]);
    expect(tokens.rows.map((r) => r.user_id)).toEqual([live.user.id]);
  });
});
