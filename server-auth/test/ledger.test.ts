import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@drivrr/shared';
import { createPool, withTransaction, type Pool } from '@drivrr/shared/db';
import {
  chargeCancellationFee,
  commissionOf,
  ensureWallet,
  getCustomerDebt,
  planCancellationFee,
  planDebtRepayment,
  getWalletBalance,
  getWalletBalanceOfKind,
  planRideSettlement,
  planTopUp,
  settleRide,
  type TopUpArgs,
} from '@drivrr/store/ledger';
import { topUpWallet as topUpWalletWithOutcome } from '../src/usecases/payments.js';
import { createTestDatabase, type TestDatabase } from '../../test-support/db.js';
import { insertRide } from '../../test-support/ride-fixtures.js';
import { createRng } from '@drivrr/shared/random';

/** The top-up use case, answering with its transaction. */
const topUpWallet = async (on: Pool, args: TopUpArgs) => (await topUpWalletWithOutcome(on, args)).transaction;

let db: TestDatabase;
let pool: Pool;
let phoneSeq = 0;

async function user(role: 'customer' | 'driver'): Promise<string> {
  phoneSeq += 1;
  const { rows } = await pool.query<{ id: string }>(`INSERT INTO users (phone, role, name) VALUES ($1, $2, $3) RETURNING id`, [
    `+9231100${String(phoneSeq).padStart(5, '0')}`,
    role,
    `${role} ${phoneSeq}`,
  ]);
  return rows[0]!.id;
}

async function completedRide(customerId: string, driverId: string, fare: number, paymentMethod: 'cash' | 'wallet'): Promise<string> {
  return insertRide(pool, { customerId, driverId, status: 'completed', fare, paymentMethod });
}

interface EntryRow {
  kind: string;
  amount: number;
  balance_after: number;
}

async function entriesOf(transactionId: string): Promise<EntryRow[]> {
  const { rows } = await pool.query<EntryRow>(
    `SELECT a.kind, e.amount, e.balance_after FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
      WHERE e.transaction_id = $1 ORDER BY a.kind`,
    [transactionId],
  );
  return rows.map((r) => ({ kind: r.kind, amount: Number(r.amount), balance_after: Number(r.balance_after) }));
}

/** The two invariants: all entries sum to 0, and every account's cached balance equals its entries' sum. */
async function ledgerInvariants(): Promise<{ total: number; mismatched: number; unbalancedTransactions: number; staleBalanceAfter: number; fundingGap: number }> {
  const total = await pool.query<{ total: string }>(`SELECT coalesce(sum(amount), 0)::text AS total FROM ledger_entries`);
  const mismatched = await pool.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ledger_accounts a
      WHERE a.balance <> (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e WHERE e.account_id = a.id)`,
  );
  const unbalanced = await pool.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM (SELECT transaction_id FROM ledger_entries GROUP BY transaction_id HAVING sum(amount) <> 0) t`,
  );
  const stale = await pool.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ledger_accounts a
       JOIN LATERAL (SELECT balance_after FROM ledger_entries WHERE account_id = a.id ORDER BY id DESC LIMIT 1) last ON true
      WHERE last.balance_after <> a.balance`,
  );
  const funding = await pool.query<{ gap: string }>(
    `SELECT (coalesce((SELECT sum(amount) FROM ledger_transactions WHERE kind = 'wallet_topup'), 0)
           + coalesce((SELECT sum(balance) FROM ledger_accounts WHERE kind = 'external_funding'), 0))::text AS gap`,
  );
  return {
    total: Number(total.rows[0]!.total),
    mismatched: Number(mismatched.rows[0]!.n),
    unbalancedTransactions: Number(unbalanced.rows[0]!.n),
    staleBalanceAfter: Number(stale.rows[0]!.n),
    fundingGap: Number(funding.rows[0]!.gap),
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 8 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('commission and postings (pure)', () => {
  it('computes the commission in integer minor units, rounding half up', () => {
    expect(commissionOf(50_000, 10)).toBe(5_000);
    expect(commissionOf(12_345, 10)).toBe(1_235); // 1234.5 -> 1235
    expect(commissionOf(12_344, 10)).toBe(1_234); // 1234.4 -> 1234
    expect(commissionOf(999, 12.5)).toBe(125); // 124.875 -> 125
    expect(commissionOf(1, 49.99)).toBe(0);
    expect(commissionOf(1, 50)).toBe(1);
    expect(commissionOf(70_000, 0)).toBe(0);
    expect(commissionOf(70_000, 100)).toBe(70_000);
  });

  it('refuses a commission outside 0..100 and a non-integer fare', () => {
    expect(() => commissionOf(100, -1)).toThrow(RangeError);
    expect(() => commissionOf(100, 101)).toThrow(RangeError);
    expect(() => commissionOf(10.5, 10)).toThrow(RangeError);
  });

  it('plans a wallet ride as fare out of the customer, fare less commission to the driver, commission to the platform', () => {
    const plan = planRideSettlement({ fare: 12_345, paymentMethod: 'wallet', commissionPct: 10 });
    expect(plan).toEqual({
      kind: 'ride_wallet_payment',
      amount: 12_345,
      postings: [
        { account: 'customer_wallet', amount: -12_345 },
        { account: 'driver_wallet', amount: 11_110 },
        { account: 'platform_revenue', amount: 1_235 },
      ],
    });
  });

  it('plans a cash ride as commission owed by the driver, and drops zero postings', () => {
    expect(planRideSettlement({ fare: 40_000, paymentMethod: 'cash', commissionPct: 15 }).postings).toEqual([
      { account: 'driver_wallet', amount: -6_000 },
      { account: 'platform_revenue', amount: 6_000 },
    ]);
    expect(planRideSettlement({ fare: 40_000, paymentMethod: 'cash', commissionPct: 0 }).postings).toEqual([]);
    expect(planRideSettlement({ fare: 40_000, paymentMethod: 'wallet', commissionPct: 0 }).postings).toEqual([
      { account: 'customer_wallet', amount: -40_000 },
      { account: 'driver_wallet', amount: 40_000 },
    ]);
  });

  it('plans a cancellation fee as the whole fee to the driver, from the wallet as far as it covers and the rest as debt', () => {
    expect(planCancellationFee({ fee: 6_000, walletBalance: 10_000 }).postings).toEqual([
      { account: 'customer_wallet', amount: -6_000 },
      { account: 'driver_wallet', amount: 6_000 },
    ]);
    expect(planCancellationFee({ fee: 6_000, walletBalance: 2_000 }).postings).toEqual([
      { account: 'customer_wallet', amount: -2_000 },
      { account: 'customer_debt', amount: -4_000 },
      { account: 'driver_wallet', amount: 6_000 },
    ]);
    expect(planCancellationFee({ fee: 6_000, walletBalance: 0 }).postings).toEqual([
      { account: 'customer_debt', amount: -6_000 },
      { account: 'driver_wallet', amount: 6_000 },
    ]);
  });

  it('plans a debt repayment as far as the wallet covers, and nothing when there is nothing to move', () => {
    expect(planDebtRepayment({ debt: 4_000, walletBalance: 10_000 })?.postings).toEqual([
      { account: 'customer_wallet', amount: -4_000 },
      { account: 'customer_debt', amount: 4_000 },
    ]);
    expect(planDebtRepayment({ debt: 4_000, walletBalance: 1_500 })?.amount).toBe(1_500);
    expect(planDebtRepayment({ debt: 0, walletBalance: 1_500 })).toBeNull();
    expect(planDebtRepayment({ debt: 4_000, walletBalance: 0 })).toBeNull();
  });

  it('plans a top-up from external funding into the wallet', () => {
    expect(planTopUp(5_000).postings).toEqual([
      { account: 'external_funding', amount: -5_000 },
      { account: 'customer_wallet', amount: 5_000 },
    ]);
  });
});

describe('settleRide', () => {
  it('settles a cash ride: the driver owes the commission to the platform', async () => {
    const [customer, driver] = [await user('customer'), await user('driver')];
    const rideId = await completedRide(customer, driver, 40_000, 'cash');

    const result = await withTransaction(pool, (client) =>
      settleRide(client, { rideId, customerId: customer, driverId: driver, fare: 40_000, currency: 'PKR', paymentMethod: 'cash', commissionPct: 15 }),
    );

    expect(result.transactions).toHaveLength(1);
    const tx = await pool.query(`SELECT kind, amount, ride_id FROM ledger_transactions WHERE id = $1`, [result.transactions[0]]);
    expect(tx.rows[0]).toMatchObject({ kind: 'ride_cash_commission', amount: 40_000, ride_id: rideId });
    const entries = await entriesOf(result.transactions[0]!);
    expect(entries.find((e) => e.kind === 'driver_wallet')).toMatchObject({ amount: -6_000, balance_after: -6_000 });
    expect(entries.find((e) => e.kind === 'platform_revenue')?.amount).toBe(6_000);
    expect(entries).toHaveLength(2);
    expect(await getWalletBalanceOfKind(pool, driver, 'driver_wallet', 'PKR')).toBe(-6_000);
    expect(await getWalletBalance(pool, customer, 'PKR')).toBe(0);
  });

  it('settles a wallet ride: fare from the customer, fare less commission to the driver, commission to the platform', async () => {
    const [customer, driver] = [await user('customer'), await user('driver')];
    await topUpWallet(pool, { userId: customer, amount: 20_000, currency: 'PKR', idempotencyKey: 'fund-1' });
    const rideId = await completedRide(customer, driver, 12_345, 'wallet');

    const result = await withTransaction(pool, (client) =>
      settleRide(client, { rideId, customerId: customer, driverId: driver, fare: 12_345, currency: 'PKR', paymentMethod: 'wallet', commissionPct: 10 }),
    );

    const entries = await entriesOf(result.transactions[0]!);
    expect(entries.map((e) => [e.kind, e.amount])).toEqual([
      ['customer_wallet', -12_345],
      ['driver_wallet', 11_110],
      ['platform_revenue', 1_235],
    ]);
    expect(entries.find((e) => e.kind === 'customer_wallet')?.balance_after).toBe(20_000 - 12_345);
    expect(entries.find((e) => e.kind === 'driver_wallet')?.balance_after).toBe(11_110);
    expect(await getWalletBalance(pool, customer, 'PKR')).toBe(7_655);
    expect(await getWalletBalanceOfKind(pool, driver, 'driver_wallet', 'PKR')).toBe(11_110);
  });

  it('settles a ride once however many times it is called, also concurrently', async () => {
    const [customer, driver] = [await user('customer'), await user('driver')];
    await topUpWallet(pool, { userId: customer, amount: 100_000, currency: 'PKR', idempotencyKey: 'fund' });
    const rideId = await completedRide(customer, driver, 30_000, 'wallet');
    const args = { rideId, customerId: customer, driverId: driver, fare: 30_000, currency: 'PKR', paymentMethod: 'wallet' as const, commissionPct: 20 };

    const first = await withTransaction(pool, (client) => settleRide(client, args));
    const again = await Promise.all(Array.from({ length: 5 }, () => withTransaction(pool, (client) => settleRide(client, args))));

    for (const result of again) expect(result.transactions).toEqual(first.transactions);
    const count = await pool.query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE ride_id = $1`, [rideId]);
    expect(count.rows[0].n).toBe(1);
    expect(await getWalletBalance(pool, customer, 'PKR')).toBe(70_000);
  });

  it('settles concurrent first attempts on one ride exactly once', async () => {
    const [customer, driver] = [await user('customer'), await user('driver')];
    const rideId = await completedRide(customer, driver, 30_000, 'cash');
    const args = { rideId, customerId: customer, driverId: driver, fare: 30_000, currency: 'PKR', paymentMethod: 'cash' as const, commissionPct: 10 };

    const results = await Promise.all(Array.from({ length: 6 }, () => withTransaction(pool, (client) => settleRide(client, args))));

    const ids = new Set(results.flatMap((r) => r.transactions));
    expect(ids.size).toBe(1);
    expect(await getWalletBalanceOfKind(pool, driver, 'driver_wallet', 'PKR')).toBe(-3_000);
  });

  it('refuses a wallet ride the customer cannot pay with insufficient_funds and writes nothing', async () => {
    const [customer, driver] = [await user('customer'), await user('driver')];
    await topUpWallet(pool, { userId: customer, amount: 9_999, currency: 'PKR', idempotencyKey: 'small' });
    const rideId = await completedRide(customer, driver, 10_000, 'wallet');
    const before = await pool.query(`SELECT (SELECT count(*) FROM ledger_transactions)::int AS t, (SELECT count(*) FROM ledger_entries)::int AS e`);

    const attempt = withTransaction(pool, (client) =>
      settleRide(client, { rideId, customerId: customer, driverId: driver, fare: 10_000, currency: 'PKR', paymentMethod: 'wallet', commissionPct: 10 }),
    );

    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ code: 'insufficient_funds', details: { balance: 9_999, required: 10_000 } });
    const after = await pool.query(`SELECT (SELECT count(*) FROM ledger_transactions)::int AS t, (SELECT count(*) FROM ledger_entries)::int AS e`);
    expect(after.rows[0]).toEqual(before.rows[0]);
    expect(await getWalletBalance(pool, customer, 'PKR')).toBe(9_999);
  });

  it('writes nothing even when the caller catches insufficient_funds and commits its own work', async () => {
    const [customer, driver] = [await user('customer'), await user('driver')];
    const rideId = await completedRide(customer, driver, 10_000, 'wallet');

    const code = await withTransaction(pool, async (client) => {
      try {
        await settleRide(client, { rideId, customerId: customer, driverId: driver, fare: 10_000, currency: 'PKR', paymentMethod: 'wallet', commissionPct: 10 });
        return 'settled';
      } catch (error) {
        return (error as AppError).code;
      }
    });

    expect(code).toBe('insufficient_funds');
    const count = await pool.query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE ride_id = $1`, [rideId]);
    expect(count.rows[0].n).toBe(0);
  });
});

describe('topUpWallet', () => {
  it('credits once for twenty concurrent retries with one key and returns the same transaction to each', async () => {
    const customer = await user('customer');

    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => topUpWalletWithOutcome(pool, { userId: customer, amount: 2_500, currency: 'PKR', idempotencyKey: 'same-key' })),
    );

    expect(new Set(outcomes.map((o) => o.transaction.id)).size).toBe(1);
    expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
    for (const o of outcomes) expect(o.transaction).toMatchObject({ amount: 2_500, balanceAfter: 2_500, kind: 'wallet_topup' });
    expect(await getWalletBalance(pool, customer, 'PKR')).toBe(2_500);
  });

  it('refuses a key reused with a different amount with conflict', async () => {
    const customer = await user('customer');
    await topUpWallet(pool, { userId: customer, amount: 1_000, currency: 'PKR', idempotencyKey: 'k1' });

    await expect(topUpWallet(pool, { userId: customer, amount: 2_000, currency: 'PKR', idempotencyKey: 'k1' })).rejects.toMatchObject({ code: 'conflict' });
    expect(await getWalletBalance(pool, customer, 'PKR')).toBe(1_000);
  });

  it('scopes keys to the user: two users with the same key each get their own top-up', async () => {
    const [a, b] = [await user('customer'), await user('customer')];
    const ta = await topUpWallet(pool, { userId: a, amount: 1_000, currency: 'PKR', idempotencyKey: 'shared' });
    const tb = await topUpWallet(pool, { userId: b, amount: 1_000, currency: 'PKR', idempotencyKey: 'shared' });
    expect(ta.id).not.toBe(tb.id);
  });

  it('refuses amounts above the cap and non-positive amounts', async () => {
    const customer = await user('customer');
    await expect(topUpWallet(pool, { userId: customer, amount: 1_000_001, currency: 'PKR', idempotencyKey: 'big' })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(topUpWallet(pool, { userId: customer, amount: 0, currency: 'PKR', idempotencyKey: 'zero' })).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('creates a wallet lazily and ensureWallet is stable', async () => {
    const customer = await user('customer');
    const first = await ensureWallet(pool, customer, 'customer_wallet', 'PKR');
    const again = await Promise.all([1, 2, 3].map(() => ensureWallet(pool, customer, 'customer_wallet', 'PKR')));
    for (const w of again) expect(w).toEqual(first);
    expect(first.balance).toBe(0);
  });
});

describe('the ledger always balances', () => {
  it('keeps entries summing to 0 and every balance equal to its entries after a seeded random mix of top-ups, settlements and cancellation fees (with debts)', async () => {
    const random = createRng(20261124).next;
    const customers = [await user('customer'), await user('customer'), await user('customer'), await user('customer')];
    const drivers = [await user('driver'), await user('driver'), await user('driver')];
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
    const topUps: { userId: string; amount: number; key: string; id: string }[] = [];
    let refused = 0;
    let settled = 0;
    let fees = 0;

    // 80 operations decided by the seed, run in batches of 5 at once (concurrent postings on
    // shared accounts exercise the lock order); retries only reuse keys of earlier batches.
    for (let batch = 0; batch < 16; batch += 1) {
      const operations: (() => Promise<void>)[] = [];
      const knownTopUps = [...topUps];
      for (let i = 0; i < 5; i += 1) {
        const step = batch * 5 + i;
        const customer = pick(customers);
        if (random() < 0.4) {
          const earlier = knownTopUps.length > 0 && random() < 0.3 ? pick(knownTopUps) : undefined;
          if (earlier) {
            // a client retry of an earlier top-up: answered with the same transaction, credits nothing
            operations.push(async () => {
              const replay = await topUpWallet(pool, { userId: earlier.userId, amount: earlier.amount, currency: 'PKR', idempotencyKey: earlier.key });
              expect(replay.id).toBe(earlier.id);
            });
            continue;
          }
          const amount = 1 + Math.floor(random() * 50_000);
          const key = `seq-${step}`;
          operations.push(async () => {
            const tx = await topUpWallet(pool, { userId: customer, amount, currency: 'PKR', idempotencyKey: key });
            topUps.push({ userId: customer, amount, key, id: tx.id });
          });
          continue;
        }
        const driver = pick(drivers);
        if (random() < 0.3) {
          // a late cancel: the fee from the wallet as far as it covers, the rest a debt; sometimes retried at once
          const fee = 1 + Math.floor(random() * 15_000);
          const retried = random() < 0.3;
          operations.push(async () => {
            const rideId = await insertRide(pool, { customerId: customer, driverId: driver, status: 'cancelled', fare: fee * 10, paymentMethod: 'cash' });
            const args = { rideId, customerId: customer, driverId: driver, fee, currency: 'PKR' };
            const charged = await withTransaction(pool, (client) => chargeCancellationFee(client, args));
            expect(charged.fromWallet + charged.toDebt).toBe(fee);
            if (retried) expect(await withTransaction(pool, (client) => chargeCancellationFee(client, args))).toEqual(charged);
            fees += 1;
          });
          continue;
        }
        const fare = 1 + Math.floor(random() * 40_000);
        const paymentMethod = random() < 0.5 ? 'cash' : 'wallet';
        const commissionPct = pick([0, 7.5, 10, 12.5, 20, 33.33]);
        operations.push(async () => {
          const rideId = await completedRide(customer, driver, fare, paymentMethod);
          try {
            await withTransaction(pool, (client) => settleRide(client, { rideId, customerId: customer, driverId: driver, fare, currency: 'PKR', paymentMethod, commissionPct }));
            settled += 1;
          } catch (error) {
            if ((error as AppError).code !== 'insufficient_funds') throw error;
            refused += 1;
          }
        });
      }
      await Promise.all(operations.map((operation) => operation()));
    }

    expect(settled).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(0);
    expect(await ledgerInvariants()).toEqual({ total: 0, mismatched: 0, unbalancedTransactions: 0, staleBalanceAfter: 0, fundingGap: 0 });
    const negative = await pool.query(`SELECT count(*)::int AS n FROM ledger_accounts WHERE kind = 'customer_wallet' AND balance < 0`);
    expect(negative.rows[0].n).toBe(0);
    // fees were charged, some became debt and some of that was paid back; a debt is never positive, a fee charged once per ride
    expect(fees).toBeGreaterThan(5);
    const debts = await pool.query<{ kind: string; n: number }>(
      `SELECT kind, count(*)::int AS n FROM ledger_transactions WHERE kind IN ('ride_cancel_fee', 'debt_repayment') GROUP BY kind`,
    );
    expect(Object.fromEntries(debts.rows.map((row) => [row.kind, row.n]))).toMatchObject({ ride_cancel_fee: fees, debt_repayment: expect.any(Number) });
    expect(debts.rows.find((row) => row.kind === 'debt_repayment')?.n).toBeGreaterThan(0);
    const positiveDebt = await pool.query(`SELECT count(*)::int AS n FROM ledger_accounts WHERE kind = 'customer_debt' AND balance > 0`);
    expect(positiveDebt.rows[0].n).toBe(0);
    const owed = await Promise.all(customers.map((customer) => getCustomerDebt(pool, customer, 'PKR')));
    expect(owed.every((debt) => debt >= 0)).toBe(true);
    const credited = await pool.query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE kind = 'wallet_topup' AND idempotency_key LIKE 'seq-%'`);
    expect(credited.rows[0].n).toBe(topUps.length);
  });

  it('refuses at commit a transaction whose entries do not sum to zero, and refuses edits of entries', async () => {
    const customer = await user('customer');
    const wallet = await ensureWallet(pool, customer, 'customer_wallet', 'PKR');

    const unbalanced = withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ id: string }>(`INSERT INTO ledger_transactions (kind, amount, currency) VALUES ('wallet_topup', 5, 'PKR') RETURNING id`);
      await client.query(`INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES ($1, $2, 5, 5)`, [rows[0]!.id, wallet.accountId]);
    });
    await expect(unbalanced).rejects.toThrow(/does not balance/);

    await expect(pool.query(`UPDATE ledger_entries SET amount = amount`)).rejects.toThrow(/append-only/);
    await expect(pool.query(`DELETE FROM ledger_transactions`)).rejects.toThrow(/append-only/);
  });
});
