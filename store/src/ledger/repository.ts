/** Ledger repository: parameterised SQL over ledger_accounts / ledger_transactions / ledger_entries. */
import { AppError } from '@drivrr/shared';
import { pgErrorCode, PG_CHECK_VIOLATION, type PoolClient, type Queryable } from '@drivrr/shared/db';
import type { TransactionView } from '@drivrr/shared/protocol';
import {
  planCancellationFee,
  planDebtRepayment,
  planRideSettlement,
  planTopUp,
  type OwnedAccountKind,
  type PaymentMethod,
  type PlannedTransaction,
  type PostingAccount,
  type SystemAccountKind,
  type WalletKind,
} from './postings.js';

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

export interface WalletRef {
  accountId: string;
  balance: number;
}

/** The wallet of (user, kind, currency), created with a 0 balance when missing. */
export async function ensureWallet(q: Queryable, userId: string, kind: OwnedAccountKind, currency: string): Promise<WalletRef> {
  // Insert-or-nothing first, then read: concurrent callers all end on the same row.
  await q.query(
    `INSERT INTO ledger_accounts (owner_id, kind, currency) VALUES ($1, $2, $3)
     ON CONFLICT (owner_id, kind, currency) WHERE owner_id IS NOT NULL DO NOTHING`,
    [userId, kind, currency],
  );
  const { rows } = await q.query<{ id: string; balance: number }>(
    `SELECT id, balance FROM ledger_accounts WHERE owner_id = $1 AND kind = $2 AND currency = $3`,
    [userId, kind, currency],
  );
  const row = rows[0];
  if (!row) throw new Error(`wallet ${kind} of ${userId} vanished`);
  return { accountId: row.id, balance: Number(row.balance) };
}

/** The system account of `kind` in `currency`, created when missing. */
export async function ensureSystemAccount(q: Queryable, kind: SystemAccountKind, currency: string): Promise<WalletRef> {
  await q.query(
    `INSERT INTO ledger_accounts (owner_id, kind, currency) VALUES (NULL, $1, $2)
     ON CONFLICT (kind, currency) WHERE owner_id IS NULL DO NOTHING`,
    [kind, currency],
  );
  const { rows } = await q.query<{ id: string; balance: number }>(
    `SELECT id, balance FROM ledger_accounts WHERE owner_id IS NULL AND kind = $1 AND currency = $2`,
    [kind, currency],
  );
  const row = rows[0];
  if (!row) throw new Error(`system account ${kind} vanished`);
  return { accountId: row.id, balance: Number(row.balance) };
}

/** A wallet's balance without creating it: 0 when the user has none yet. */
export async function getWalletBalanceOfKind(q: Queryable, userId: string, kind: OwnedAccountKind, currency: string): Promise<number> {
  const { rows } = await q.query<{ balance: number }>(
    `SELECT balance FROM ledger_accounts WHERE owner_id = $1 AND kind = $2 AND currency = $3`,
    [userId, kind, currency],
  );
  return rows[0] ? Number(rows[0].balance) : 0;
}

/** The customer wallet's balance (0 when none): what a wallet ride request is checked against. */
export async function getWalletBalance(q: Queryable, userId: string, currency: string): Promise<number> {
  return getWalletBalanceOfKind(q, userId, 'customer_wallet', currency);
}

/**
 * The customer's debt account if they ever had one. Postings that may pay debt lock it together
 * with their other accounts (one id order for all, so a top-up, a settlement and a fee never deadlock).
 */
async function existingDebtAccountId(q: Queryable, customerId: string, currency: string): Promise<string | undefined> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT id FROM ledger_accounts WHERE owner_id = $1 AND kind = 'customer_debt' AND currency = $2`,
    [customerId, currency],
  );
  return rows[0]?.id;
}

/** What the customer owes beyond their wallet (a positive number; 0 when nothing). */
export async function getCustomerDebt(q: Queryable, userId: string, currency: string): Promise<number> {
  return -(await getWalletBalanceOfKind(q, userId, 'customer_debt', currency));
}

// ---------------------------------------------------------------------------------------------
// Posting
// ---------------------------------------------------------------------------------------------

/**
 * Locks the given accounts (FOR UPDATE, in id order so concurrent postings never deadlock) and
 * returns their current balances.
 */
async function lockAccounts(client: Queryable, accountIds: string[]): Promise<Map<string, number>> {
  const ids = [...new Set(accountIds)].sort();
  const { rows } = await client.query<{ id: string; balance: number }>(
    `SELECT id, balance FROM ledger_accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
    [ids],
  );
  return new Map(rows.map((r) => [r.id, Number(r.balance)]));
}

/**
 * Writes the entries of `plan` for transaction `transactionId` and updates the balances of the
 * (already locked) accounts. Returns each account's balance after.
 */
async function writeEntries(
  client: Queryable,
  transactionId: string,
  plan: PlannedTransaction,
  accountIdOf: Record<PostingAccount, string | undefined>,
  balances: Map<string, number>,
): Promise<Map<string, number>> {
  for (const posting of plan.postings) {
    const accountId = accountIdOf[posting.account];
    if (accountId === undefined) throw new Error(`no account resolved for ${posting.account}`);
    const after = (balances.get(accountId) ?? 0) + posting.amount;
    balances.set(accountId, after);
    await client.query(
      `INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES ($1, $2, $3, $4)`,
      [transactionId, accountId, posting.amount, after],
    );
  }
  const touched = new Map<string, number>();
  for (const posting of plan.postings) {
    const accountId = accountIdOf[posting.account]!;
    touched.set(accountId, (touched.get(accountId) ?? 0) + posting.amount);
  }
  for (const [accountId, delta] of [...touched].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await client.query(`UPDATE ledger_accounts SET balance = balance + $2 WHERE id = $1`, [accountId, delta]);
  }
  return balances;
}

function emptyAccounts(): Record<PostingAccount, string | undefined> {
  return { customer_wallet: undefined, customer_debt: undefined, driver_wallet: undefined, platform_revenue: undefined, external_funding: undefined, cash_settlement: undefined };
}

// ---------------------------------------------------------------------------------------------
// Ride settlement
// ---------------------------------------------------------------------------------------------

export interface SettleRideArgs {
  rideId: string;
  customerId: string;
  driverId: string;
  /** The agreed fare, minor units. */
  fare: number;
  currency: string;
  paymentMethod: PaymentMethod;
  /** Platform commission in percent (0..100, up to 2 decimals). */
  commissionPct: number;
}

/**
 * Settles a completed ride inside the caller's open transaction on `client` (BEGIN is the
 * caller's). Idempotent per ride: a ride already settled returns the existing transaction ids
 * and writes nothing. A wallet ride whose customer balance is short throws AppError
 * insufficient_funds before anything is written.
 */
export async function settleRide(client: PoolClient, args: SettleRideArgs): Promise<{ transactions: string[] }> {
  const existing = await client.query<{ id: string }>(
    `SELECT id FROM ledger_transactions WHERE ride_id = $1 AND kind IN ('ride_wallet_payment', 'ride_cash_commission') ORDER BY created_at`,
    [args.rideId],
  );
  if (existing.rows.length > 0) return { transactions: existing.rows.map((r) => r.id) };

  const plan = planRideSettlement(args);
  const accounts = emptyAccounts();
  if (plan.postings.some((p) => p.account === 'customer_wallet')) {
    accounts.customer_wallet = (await ensureWallet(client, args.customerId, 'customer_wallet', args.currency)).accountId;
  }
  if (plan.postings.some((p) => p.account === 'driver_wallet')) {
    accounts.driver_wallet = (await ensureWallet(client, args.driverId, 'driver_wallet', args.currency)).accountId;
  }
  if (plan.postings.some((p) => p.account === 'platform_revenue')) {
    accounts.platform_revenue = (await ensureSystemAccount(client, 'platform_revenue', args.currency)).accountId;
  }
  const ids = Object.values(accounts).filter((id): id is string => id !== undefined);
  // The debt account (paid after the fare) is locked with the others, in the one id order.
  const debtId = await existingDebtAccountId(client, args.customerId, args.currency);
  const balances = await lockAccounts(client, debtId ? [...ids, debtId] : ids);

  if (accounts.customer_wallet !== undefined) {
    const balance = balances.get(accounts.customer_wallet) ?? 0;
    if (balance < args.fare) {
      throw new AppError('insufficient_funds', 'the customer wallet balance is lower than the fare', {
        details: { balance, required: args.fare, currency: args.currency },
      });
    }
  }

  // ON CONFLICT: a concurrent settlement of the same ride that committed first wins; we return its id.
  const inserted = await client.query<{ id: string }>(
    `INSERT INTO ledger_transactions (kind, amount, currency, ride_id, initiator_id, description)
     VALUES ($1, $2, $3, $4, NULL, $5)
     ON CONFLICT ON CONSTRAINT ledger_transactions_ride_once DO NOTHING
     RETURNING id`,
    [plan.kind, plan.amount, args.currency, args.rideId, `${args.paymentMethod} ride, commission ${args.commissionPct}%`],
  );
  const transactionId = inserted.rows[0]?.id;
  if (transactionId === undefined) {
    const again = await client.query<{ id: string }>(`SELECT id FROM ledger_transactions WHERE ride_id = $1 AND kind = $2`, [args.rideId, plan.kind]);
    return { transactions: again.rows.map((r) => r.id) };
  }
  await writeEntries(client, transactionId, plan, accounts, balances);
  // The customer's debt (unpaid cancellation fees) is paid next, from what the wallet still holds.
  const repayment =
    debtId !== undefined && accounts.customer_wallet !== undefined
      ? await repayLockedDebt(client, { walletId: accounts.customer_wallet, debtId, balances, currency: args.currency, rideId: args.rideId })
      : null;
  return { transactions: repayment ? [transactionId, repayment] : [transactionId] };
}

// ---------------------------------------------------------------------------------------------
// Cancellation fees and debt
// ---------------------------------------------------------------------------------------------

export interface ChargeCancellationFeeArgs {
  rideId: string;
  customerId: string;
  driverId: string;
  /** Minor units, > 0. */
  fee: number;
  currency: string;
}

export interface ChargedFee {
  transactionId: string;
  /** What the wallet paid now. */
  fromWallet: number;
  /** What became debt. */
  toDebt: number;
}

/**
 * Charges a cancellation fee inside the caller's transaction (the cancel's): the driver credited
 * the whole fee, the customer's wallet debited as far as it covers, the rest booked as debt.
 * Once per ride (UNIQUE (ride_id, kind)): a second call returns the first charge and writes nothing.
 */
export async function chargeCancellationFee(client: PoolClient, args: ChargeCancellationFeeArgs): Promise<ChargedFee> {
  const previous = await findCancellationFee(client, args.rideId, args.customerId);
  if (previous) return previous;
  const wallet = await ensureWallet(client, args.customerId, 'customer_wallet', args.currency);
  const debt = await ensureWallet(client, args.customerId, 'customer_debt', args.currency);
  const driver = await ensureWallet(client, args.driverId, 'driver_wallet', args.currency);
  const balances = await lockAccounts(client, [wallet.accountId, debt.accountId, driver.accountId]);
  const plan = planCancellationFee({ fee: args.fee, walletBalance: balances.get(wallet.accountId) ?? 0 });
  const inserted = await client.query<{ id: string }>(
    `INSERT INTO ledger_transactions (kind, amount, currency, ride_id, initiator_id, description)
     VALUES ('ride_cancel_fee', $1, $2, $3, NULL, $4)
     ON CONFLICT ON CONSTRAINT ledger_transactions_ride_once DO NOTHING
     RETURNING id`,
    [plan.amount, args.currency, args.rideId, `cancellation fee: ${plan.fromWallet} from the wallet, ${plan.toDebt} owed`],
  );
  const transactionId = inserted.rows[0]?.id;
  if (transactionId === undefined) {
    const winner = await findCancellationFee(client, args.rideId, args.customerId);
    if (!winner) throw new Error(`cancellation fee of ride ${args.rideId} lost a race but is not visible`);
    return winner;
  }
  const accounts = emptyAccounts();
  accounts.customer_wallet = wallet.accountId;
  accounts.customer_debt = debt.accountId;
  accounts.driver_wallet = driver.accountId;
  await writeEntries(client, transactionId, plan, accounts, balances);
  return { transactionId, fromWallet: plan.fromWallet, toDebt: plan.toDebt };
}

async function findCancellationFee(q: Queryable, rideId: string, customerId: string): Promise<ChargedFee | undefined> {
  const { rows } = await q.query<{ id: string; kind: string | null; amount: number | null }>(
    `SELECT t.id, a.kind, e.amount
       FROM ledger_transactions t
       LEFT JOIN ledger_entries e ON e.transaction_id = t.id
       LEFT JOIN ledger_accounts a ON a.id = e.account_id AND a.owner_id = $2
      WHERE t.ride_id = $1 AND t.kind = 'ride_cancel_fee'`,
    [rideId, customerId],
  );
  const first = rows[0];
  if (!first) return undefined;
  // 0 - sum, not -sum: no -0 for an account the fee did not touch
  const paid = (kind: string) => 0 - rows.filter((row) => row.kind === kind).reduce((sum, row) => sum + Number(row.amount ?? 0), 0);
  return { transactionId: first.id, fromWallet: paid('customer_wallet'), toDebt: paid('customer_debt') };
}

/**
 * Pays the customer's debt from their wallet as far as it covers, inside the caller's posting (a
 * top-up's, or a settled wallet ride's: `rideId`, once per ride). Both accounts must already be
 * locked by the caller's one `lockAccounts` (so every posting locks in the same id order and none
 * deadlocks); `balances` holds their balances now. A debt account created after the caller's
 * lock (a concurrent fee) is left for the next top-up or ride. Returns the transaction id, or null
 * when there was nothing to pay or nothing to pay with.
 */
async function repayLockedDebt(
  client: PoolClient,
  args: { walletId: string; debtId: string; balances: Map<string, number>; currency: string; rideId: string | null },
): Promise<string | null> {
  const plan = planDebtRepayment({ debt: -(args.balances.get(args.debtId) ?? 0), walletBalance: args.balances.get(args.walletId) ?? 0 });
  if (!plan) return null;
  const inserted = await client.query<{ id: string }>(
    `INSERT INTO ledger_transactions (kind, amount, currency, ride_id, initiator_id, description)
     VALUES ('debt_repayment', $1, $2, $3, NULL, 'unpaid cancellation fees paid from the wallet')
     ON CONFLICT ON CONSTRAINT ledger_transactions_ride_once DO NOTHING
     RETURNING id`,
    [plan.amount, args.currency, args.rideId],
  );
  const transactionId = inserted.rows[0]?.id;
  if (transactionId === undefined) return null;
  const accounts = emptyAccounts();
  accounts.customer_wallet = args.walletId;
  accounts.customer_debt = args.debtId;
  await writeEntries(client, transactionId, plan, accounts, args.balances);
  return transactionId;
}

// ---------------------------------------------------------------------------------------------
// Top-ups
// ---------------------------------------------------------------------------------------------

export interface TopUpArgs {
  userId: string;
  amount: number;
  currency: string;
  /** 1..128 characters, chosen by the client; scoped to the user. */
  idempotencyKey: string;
  /** Which of the user's wallets to credit; customers top up customer_wallet (the default). */
  wallet?: WalletKind;
}

/** A top-up stored under an idempotency key, as a retry with that key is answered. */
export interface StoredTopUp {
  kind: string;
  /** The transaction's amount (what the key was first used for). */
  amount: number;
  currency: string;
  /** The transaction as the wallet saw it (its signed change and balance after). */
  transaction: TransactionView;
}

interface StoredTopUpRow {
  id: string;
  kind: string;
  amount: number;
  currency: string;
  ride_id: string | null;
  created_at: Date;
  entry_amount: number | null;
  balance_after: number | null;
}

/** The transaction a user made with this idempotency key, if any. */
export async function findTopUpByKey(q: Queryable, userId: string, idempotencyKey: string, walletKind: WalletKind): Promise<StoredTopUp | undefined> {
  const { rows } = await q.query<StoredTopUpRow>(
    `SELECT t.id, t.kind, t.amount, t.currency, t.ride_id, t.created_at, e.amount AS entry_amount, e.balance_after
       FROM ledger_transactions t
       LEFT JOIN ledger_accounts a ON a.owner_id = t.initiator_id AND a.kind = $3 AND a.currency = t.currency
       LEFT JOIN ledger_entries e ON e.transaction_id = t.id AND e.account_id = a.id
      WHERE t.initiator_id = $1 AND t.idempotency_key = $2`,
    [userId, idempotencyKey, walletKind],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    kind: row.kind,
    amount: Number(row.amount),
    currency: row.currency,
    transaction: {
      id: row.id,
      kind: row.kind,
      amount: Number(row.entry_amount ?? row.amount),
      currency: row.currency,
      rideId: row.ride_id,
      balanceAfter: row.balance_after === null ? null : Number(row.balance_after),
      createdAt: row.created_at.toISOString(),
    },
  };
}

/**
 * Posts a top-up inside the caller's transaction: external funding -> the user's wallet, under
 * its idempotency key. Undefined when a concurrent top-up with the same key committed first
 * (ON CONFLICT waits for it): the caller answers with that one.
 */
export async function postTopUp(client: PoolClient, args: TopUpArgs): Promise<TransactionView | undefined> {
  const walletKind = args.wallet ?? 'customer_wallet';
  const plan = planTopUp(args.amount, walletKind);
  const wallet = await ensureWallet(client, args.userId, walletKind, args.currency);
  const funding = await ensureSystemAccount(client, 'external_funding', args.currency);
  const inserted = await client.query<{ id: string; created_at: Date }>(
    `INSERT INTO ledger_transactions (kind, amount, currency, initiator_id, idempotency_key, description)
     VALUES ('wallet_topup', $1, $2, $3, $4, 'simulated wallet top-up')
     ON CONFLICT ON CONSTRAINT ledger_transactions_idempotency DO NOTHING
     RETURNING id, created_at`,
    [args.amount, args.currency, args.userId, args.idempotencyKey],
  );
  const row = inserted.rows[0];
  if (!row) return undefined;
  const accounts = emptyAccounts();
  accounts[walletKind] = wallet.accountId;
  accounts.external_funding = funding.accountId;
  const debtId = walletKind === 'customer_wallet' ? await existingDebtAccountId(client, args.userId, args.currency) : undefined;
  const balances = await lockAccounts(client, [wallet.accountId, funding.accountId, ...(debtId ? [debtId] : [])]);
  const after = await writeEntries(client, row.id, plan, accounts, balances);
  // The top-up's own balance after (what a replay of this key answers), before any debt is paid from it.
  const balanceAfter = after.get(wallet.accountId) ?? null;
  // Money topped up pays the customer's debt first (in the same transaction as the top-up).
  if (debtId !== undefined) await repayLockedDebt(client, { walletId: wallet.accountId, debtId, balances: after, currency: args.currency, rideId: null });
  return {
    id: row.id,
    kind: 'wallet_topup',
    amount: args.amount,
    currency: args.currency,
    rideId: null,
    balanceAfter,
    createdAt: row.created_at.toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// Transactions of a wallet
// ---------------------------------------------------------------------------------------------

function encodeEntryCursor(entryId: number): string {
  return Buffer.from(`e:${entryId}`, 'utf8').toString('base64url');
}
function decodeEntryCursor(raw: string): number {
  const invalid = new AppError('validation_failed', 'cursor is not valid', { details: { field: 'cursor' } });
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(raw)) throw invalid;
  const match = /^e:(\d{1,15})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!match) throw invalid;
  return Number(match[1]);
}

export interface ListWalletTransactionsArgs {
  userId: string;
  wallet: WalletKind;
  currency: string;
  limit: number;
  cursor?: string | undefined;
}

/**
 * The transactions touching a user's wallet, newest first, each with the signed change to that
 * wallet and its balance after. Keyset-paginated by entry id (opaque cursor).
 */
export async function listWalletTransactions(
  q: Queryable,
  args: ListWalletTransactionsArgs,
): Promise<{ items: TransactionView[]; nextCursor: string | null }> {
  const limit = Math.max(1, Math.min(100, Math.trunc(args.limit)));
  // A customer's list shows what they owe too: entries on customer_debt (a fee the wallet did not cover, its repayment).
  const kinds: OwnedAccountKind[] = args.wallet === 'customer_wallet' ? ['customer_wallet', 'customer_debt'] : [args.wallet];
  const params: unknown[] = [args.userId, kinds, args.currency];
  let after = '';
  if (args.cursor !== undefined) {
    params.push(decodeEntryCursor(args.cursor));
    after = `AND e.id < $${params.length}`;
  }
  params.push(limit + 1);
  const { rows } = await q.query<{
    entry_id: number;
    id: string;
    kind: string;
    amount: number;
    balance_after: number;
    currency: string;
    ride_id: string | null;
    created_at: Date;
    account_kind: OwnedAccountKind;
  }>(
    `SELECT e.id AS entry_id, t.id, t.kind, e.amount, e.balance_after, t.currency, t.ride_id, t.created_at, a.kind AS account_kind
       FROM ledger_accounts a
       JOIN ledger_entries e ON e.account_id = a.id
       JOIN ledger_transactions t ON t.id = e.transaction_id
      WHERE a.owner_id = $1 AND a.kind = ANY($2::text[]) AND a.currency = $3 ${after}
      ORDER BY e.id DESC
      LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: r.id,
      kind: r.kind,
      amount: Number(r.amount),
      currency: r.currency,
      rideId: r.ride_id,
      balanceAfter: Number(r.balance_after),
      createdAt: r.created_at.toISOString(),
      account: r.account_kind === 'customer_debt' ? ('debt' as const) : ('wallet' as const),
    })),
    nextCursor: rows.length > limit && last ? encodeEntryCursor(Number(last.entry_id)) : null,
  };
}

/** True for the customer-wallet-below-zero CHECK: a last-resort guard behind the up-front check. */
export function isInsufficientFundsViolation(error: unknown): boolean {
  return pgErrorCode(error) === PG_CHECK_VIOLATION && String((error as { constraint?: unknown }).constraint) === 'ledger_accounts_customer_non_negative';
}
