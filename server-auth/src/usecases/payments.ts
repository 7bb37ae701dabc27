/**
 * The caller's wallet: its balance, simulated top-ups (idempotent per user and Idempotency-Key,
 * also under concurrent retries) and its transactions. Identity always comes from the token.
 */
import { withTransaction, type Pool } from '@drivrr/shared/db';
import type { Caller } from '../domain/rides.js';
import type { TopupBody, TransactionPage, TransactionView, WalletView } from '@drivrr/shared/protocol';
import { findTopUpByKey, getCustomerDebt, getWalletBalanceOfKind, listWalletTransactions, postTopUp, type TopUpArgs } from '@drivrr/store/ledger';
import { assertTopUpAmount, replayOf, walletKindFor } from '../domain/payments.js';

export interface TopUpOutcome {
  transaction: TransactionView;
  /** True when the key had been used already and the stored transaction is returned. */
  replayed: boolean;
}

/**
 * A simulated wallet top-up (no payment gateway), idempotent per (user, key): a retry with the
 * same key returns the stored transaction and credits nothing, also under concurrent retries; the
 * same key with a different amount -> conflict. Amounts above MAX_TOPUP_AMOUNT are refused.
 */
export async function topUpWallet(pool: Pool, args: TopUpArgs): Promise<TopUpOutcome> {
  const walletKind = args.wallet ?? 'customer_wallet';
  assertTopUpAmount(args.amount);
  const previous = await findTopUpByKey(pool, args.userId, args.idempotencyKey, walletKind);
  if (previous) return { transaction: replayOf(previous, args), replayed: true };
  const created = await withTransaction(pool, (client) => postTopUp(client, args));
  if (created) return { transaction: created, replayed: false };
  // A concurrent request with the same key won: answer with its transaction.
  const winner = await findTopUpByKey(pool, args.userId, args.idempotencyKey, walletKind);
  if (!winner) throw new Error('top-up lost its idempotency race but the winner is not visible');
  return { transaction: replayOf(winner, args), replayed: true };
}

export function createPayments(pool: Pool, currency: string) {
  return {
    async wallet(caller: Caller): Promise<WalletView> {
      const kind = walletKindFor(caller.role);
      const balance = await getWalletBalanceOfKind(pool, caller.userId, kind, currency);
      return kind === 'customer_wallet' ? { balance, currency, debt: await getCustomerDebt(pool, caller.userId, currency) } : { balance, currency };
    },
    topUp: (caller: Caller, idempotencyKey: string, body: TopupBody): Promise<TopUpOutcome> =>
      topUpWallet(pool, { userId: caller.userId, amount: body.amount, currency, idempotencyKey, wallet: walletKindFor(caller.role) }),
    transactions: (caller: Caller, query: { limit: number; cursor?: string | undefined }): Promise<TransactionPage> =>
      listWalletTransactions(pool, { userId: caller.userId, wallet: walletKindFor(caller.role), currency, limit: query.limit, cursor: query.cursor }),
  };
}

export type Payments = ReturnType<typeof createPayments>;
