import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, withTransaction, type Pool } from '@drivrr/shared/db';
import { chargeCancellationFee, settleRide } from '@drivrr/store/ledger';
import { ErrorBodySchema, TransactionPage, TransactionView, WalletView } from '@drivrr/shared/protocol';
import { createUser, startTestStack, type TestStack, type TestUser } from '../../test-support/stack.js';
import { insertRide } from '../../test-support/ride-fixtures.js';
import { createRng } from '@drivrr/shared/random';

let stack: TestStack;
let pool: Pool;

async function call(
  user: TestUser,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; rawBody?: string; key?: string } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = { authorization: `Bearer ${user.token}` };
  if (options.body !== undefined || options.rawBody !== undefined) headers['content-type'] = 'application/json';
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  const res = await fetch(`${stack.auth!.url}${path}`, {
    method,
    headers,
    ...(options.rawBody !== undefined ? { body: options.rawBody } : options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

const topUp = (user: TestUser, amount: unknown, key?: string) =>
  call(user, 'POST', '/api/payments/wallet/topup', { body: { amount }, ...(key !== undefined ? { key } : {}) });

async function balanceOf(user: TestUser): Promise<number> {
  const { status, body } = await call(user, 'GET', '/api/payments/wallet');
  expect(status).toBe(200);
  return WalletView.parse(body).balance;
}

beforeAll(async () => {
  stack = await startTestStack({ realtime: false });
  pool = createPool(stack.db.url, { max: 4 });
});

afterAll(async () => {
  await pool?.end();
  await stack?.stop();
});

describe('GET /api/payments/wallet', () => {
  it('answers a zero balance in the configured currency before any top-up', async () => {
    const customer = await createUser(stack, 'customer');
    const { status, body } = await call(customer, 'GET', '/api/payments/wallet');
    expect(status).toBe(200);
    expect(body).toEqual({ balance: 0, currency: 'PKR', debt: 0 });
  });

  it("shows a driver their driver wallet, negative while commission on cash rides is owed", async () => {
    const customer = await createUser(stack, 'customer');
    const driver = await createUser(stack, 'driver');
    const rideId = await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'completed', fare: 30_000, paymentMethod: 'cash' });
    await withTransaction(pool, (client) =>
      settleRide(client, { rideId, customerId: customer.id, driverId: driver.id, fare: 30_000, currency: 'PKR', paymentMethod: 'cash', commissionPct: 10 }),
    );

    expect(await balanceOf(driver)).toBe(-3_000);
    expect(await balanceOf(customer)).toBe(0);
  });

  it('refuses operators, who have no wallet', async () => {
    const operator = await createUser(stack, 'operator');
    const { status, body } = await call(operator, 'GET', '/api/payments/wallet');
    expect(status).toBe(403);
    expect(ErrorBodySchema.parse(body).error.code).toBe('forbidden');
  });
});

describe('POST /api/payments/wallet/topup', () => {
  it('credits the wallet and answers 201 with the transaction', async () => {
    const customer = await createUser(stack, 'customer');

    const { status, body, headers } = await topUp(customer, 25_000, 'first-topup');

    expect(status).toBe(201);
    expect(headers.get('idempotent-replayed')).toBeNull();
    expect(TransactionView.parse(body)).toMatchObject({ kind: 'wallet_topup', amount: 25_000, balanceAfter: 25_000, currency: 'PKR', rideId: null });
    expect(await balanceOf(customer)).toBe(25_000);
  });

  it('answers twenty concurrent retries with one key with the same transaction and credits once', async () => {
    const customer = await createUser(stack, 'customer');

    const answers = await Promise.all(Array.from({ length: 20 }, () => topUp(customer, 7_000, 'retry-me')));

    for (const a of answers) expect(a.status).toBe(201);
    const ids = new Set(answers.map((a) => TransactionView.parse(a.body).id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
    expect(await balanceOf(customer)).toBe(7_000);
    const { rows } = await stack.query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE initiator_id = $1`, [customer.id]);
    expect(rows[0].n).toBe(1);
  });

  it('treats different keys as different top-ups', async () => {
    const customer = await createUser(stack, 'customer');
    const a = await topUp(customer, 1_000, 'key-a');
    const b = await topUp(customer, 1_000, 'key-b');
    expect(TransactionView.parse(a.body).id).not.toBe(TransactionView.parse(b.body).id);
    expect(TransactionView.parse(b.body).balanceAfter).toBe(2_000);
    expect(await balanceOf(customer)).toBe(2_000);
  });

  it('refuses a key reused with a different amount with 409 conflict and credits nothing', async () => {
    const customer = await createUser(stack, 'customer');
    await topUp(customer, 1_000, 'reused');

    const { status, body } = await topUp(customer, 9_000, 'reused');

    expect(status).toBe(409);
    expect(ErrorBodySchema.parse(body).error.code).toBe('conflict');
    expect(await balanceOf(customer)).toBe(1_000);
  });

  it('refuses a top-up without an Idempotency-Key with 400 missing_idempotency_key', async () => {
    const customer = await createUser(stack, 'customer');
    const { status, body } = await topUp(customer, 1_000);
    expect(status).toBe(400);
    expect(ErrorBodySchema.parse(body).error.code).toBe('missing_idempotency_key');
    expect(await balanceOf(customer)).toBe(0);
  });

  it('refuses an Idempotency-Key longer than 128 characters', async () => {
    const customer = await createUser(stack, 'customer');
    expect((await topUp(customer, 1_000, 'k'.repeat(128))).status).toBe(201);
    const { status, body } = await topUp(customer, 1_000, 'k'.repeat(129));
    expect(status).toBe(400);
    expect(ErrorBodySchema.parse(body).error.code).toBe('validation_failed');
  });

  it.each([
    ['above the per-top-up cap', 1_000_001],
    ['zero', 0],
    ['negative', -500],
    ['fractional', 10.5],
    ['a string', '1000'],
  ])('refuses an amount %s with validation_failed', async (_name, amount) => {
    const customer = await createUser(stack, 'customer');
    const { status, body } = await topUp(customer, amount, `bad-${String(amount)}`);
    expect(status).toBe(400);
    expect(ErrorBodySchema.parse(body).error.code).toBe('validation_failed');
    expect(await balanceOf(customer)).toBe(0);
  });

  it('names the per-top-up cap when an amount is above it', async () => {
    const customer = await createUser(stack, 'customer');
    const { body } = await topUp(customer, 1_000_001, 'too-much');
    expect(body).toEqual({
      error: { code: 'validation_failed', message: 'a single top-up is at most 1000000 minor units', details: { field: 'amount', max: 1_000_000 } },
    });
  });

  it("credits a driver's top-up to the driver wallet, paying off commission owed", async () => {
    const customer = await createUser(stack, 'customer');
    const driver = await createUser(stack, 'driver');
    const rideId = await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'completed', fare: 20_000, paymentMethod: 'cash' });
    await withTransaction(pool, (client) =>
      settleRide(client, { rideId, customerId: customer.id, driverId: driver.id, fare: 20_000, currency: 'PKR', paymentMethod: 'cash', commissionPct: 15 }),
    );

    const { status, body } = await topUp(driver, 3_000, 'pay-off');

    expect(status).toBe(201);
    expect(TransactionView.parse(body)).toMatchObject({ amount: 3_000, balanceAfter: 0 });
    expect(await balanceOf(driver)).toBe(0);
    expect(await balanceOf(customer)).toBe(0);
  });

  it('refuses operators', async () => {
    const operator = await createUser(stack, 'operator');
    const { status } = await topUp(operator, 1_000, 'op');
    expect(status).toBe(403);
  });

  it('accepts exactly the cap', async () => {
    const customer = await createUser(stack, 'customer');
    expect((await topUp(customer, 1_000_000, 'cap')).status).toBe(201);
  });

  it('answers bad JSON with invalid_json', async () => {
    const customer = await createUser(stack, 'customer');
    const { status, body } = await call(customer, 'POST', '/api/payments/wallet/topup', { rawBody: '{"amount":', key: 'x' });
    expect(status).toBe(400);
    expect(ErrorBodySchema.parse(body).error.code).toBe('invalid_json');
  });
});

describe('GET /api/payments/transactions', () => {
  it('lists the wallet transactions newest first with the signed amount and balance after, across pages', async () => {
    const customer = await createUser(stack, 'customer');
    const driver = await createUser(stack, 'driver');
    for (let i = 1; i <= 5; i += 1) await topUp(customer, i * 1_000, `t${i}`);
    const rideId = await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'completed', fare: 4_000, paymentMethod: 'wallet' });
    await withTransaction(pool, (client) =>
      settleRide(client, { rideId, customerId: customer.id, driverId: driver.id, fare: 4_000, currency: 'PKR', paymentMethod: 'wallet', commissionPct: 12.5 }),
    );

    const items: TransactionView[] = [];
    let cursor: string | null = null;
    do {
      const { status, body } = await call(customer, 'GET', `/api/payments/transactions?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      const page = TransactionPage.parse(body);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);

    expect(items.map((t) => [t.kind, t.amount, t.balanceAfter])).toEqual([
      ['ride_wallet_payment', -4_000, 11_000],
      ['wallet_topup', 5_000, 15_000],
      ['wallet_topup', 4_000, 10_000],
      ['wallet_topup', 3_000, 6_000],
      ['wallet_topup', 2_000, 3_000],
      ['wallet_topup', 1_000, 1_000],
    ]);
    expect(items[0]!.rideId).toBe(rideId);

    const driverView = await call(driver, 'GET', '/api/payments/transactions');
    expect(TransactionPage.parse(driverView.body).items.map((t) => [t.kind, t.amount, t.balanceAfter])).toEqual([['ride_wallet_payment', 3_500, 3_500]]);
  });

  it('refuses a malformed cursor with validation_failed', async () => {
    const customer = await createUser(stack, 'customer');
    const { status, body } = await call(customer, 'GET', '/api/payments/transactions?cursor=zzz');
    expect(status).toBe(400);
    expect(ErrorBodySchema.parse(body).error.code).toBe('validation_failed');
  });

  it("never shows another user's transactions", async () => {
    const a = await createUser(stack, 'customer');
    const b = await createUser(stack, 'customer');
    await topUp(a, 1_000, 'mine');
    const { body } = await call(b, 'GET', '/api/payments/transactions');
    expect(body).toEqual({ items: [], nextCursor: null });
  });
});

describe('cancellation fees in the wallet and both transaction lists', () => {
  it("shows the fee in the customer's list (wallet part and debt part) and the driver's, and the next top-up pays the debt first", async () => {
    // Arrange: 1,500 in the wallet, then a 4,000 fee on a cancelled ride
    const customer = await createUser(stack, 'customer');
    const driver = await createUser(stack, 'driver');
    await topUp(customer, 1_500, 'before-fee');
    const rideId = await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'cancelled', fare: 40_000, paymentMethod: 'cash' });
    await withTransaction(pool, (client) => chargeCancellationFee(client, { rideId, customerId: customer.id, driverId: driver.id, fee: 4_000, currency: 'PKR' }));

    // Act
    const wallet = await call(customer, 'GET', '/api/payments/wallet');
    const customerList = TransactionPage.parse((await call(customer, 'GET', '/api/payments/transactions')).body);
    const driverList = TransactionPage.parse((await call(driver, 'GET', '/api/payments/transactions')).body);
    await topUp(customer, 10_000, 'after-fee');
    const afterTopUp = await call(customer, 'GET', '/api/payments/wallet');

    // Assert
    expect(wallet.body).toEqual({ balance: 0, currency: 'PKR', debt: 2_500 });
    const fee = customerList.items.filter((item) => item.kind === 'ride_cancel_fee');
    expect(fee.map((item) => [item.account, item.amount, item.balanceAfter, item.rideId])).toEqual(
      expect.arrayContaining([
        ['wallet', -1_500, 0, rideId],
        ['debt', -2_500, -2_500, rideId],
      ]),
    );
    expect(driverList.items[0]).toMatchObject({ kind: 'ride_cancel_fee', amount: 4_000, rideId, account: 'wallet' });
    expect(afterTopUp.body).toEqual({ balance: 7_500, currency: 'PKR', debt: 0 });
  });
});

describe('fuzzed bodies', () => {
  const random = createRng(6).next;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  function value(depth: number): unknown {
    const kinds = depth > 2 ? ['num', 'str', 'bool', 'null'] : ['num', 'str', 'bool', 'null', 'arr', 'obj'];
    switch (pick(kinds)) {
      case 'num':
        return pick([0, -1, 1, 1.5, 1e308, -1e308, 2 ** 53, 1_000_000, 1_000_001, 5, Number.MAX_SAFE_INTEGER]);
      case 'str':
        return pick(['', '5', 'amount', 'x'.repeat(600), '\u0000', '😀', '{"a":1}']);
      case 'bool':
        return random() < 0.5;
      case 'null':
        return null;
      case 'arr':
        return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
      default:
        return Object.fromEntries(Array.from({ length: Math.floor(random() * 3) + 1 }, () => [pick(['amount', 'stars', 'comment', '__proto__', 'constructor', 'x']), value(depth + 1)]));
    }
  }

  it('answers 300 random top-up and rating bodies with a 2xx or a 4xx in the contract shape, never a 5xx', async () => {
    const customer = await createUser(stack, 'customer');
    const driver = await createUser(stack, 'driver');
    const rideId = await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'completed' });
    const statuses = new Map<number, number>();

    for (let i = 0; i < 300; i += 1) {
      const body = random() < 0.15 ? pick(['', '[]', 'null', '"x"', '{', '{"amount": }', '1e999']) : JSON.stringify(value(0));
      const answer =
        i % 2 === 0
          ? await call(customer, 'POST', '/api/payments/wallet/topup', { rawBody: body, key: `fuzz-${i}` })
          : await call(customer, 'POST', `/api/rides/${rideId}/rating`, { rawBody: body });
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      expect(answer.status, `body ${body}`).toBeLessThan(500);
      if (answer.status >= 400) ErrorBodySchema.parse(answer.body);
    }

    expect(statuses.get(400)).toBeGreaterThan(200);
  });
});
