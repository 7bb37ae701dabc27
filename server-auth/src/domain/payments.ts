/** Payment rules on the REST side: pure, no I/O. */
import { AppError } from '@drivrr/shared';
import { MAX_TOPUP_AMOUNT, type StoredTopUp, type TopUpArgs, type WalletKind } from '@drivrr/store/ledger';
import type { Role, TransactionView } from '@drivrr/shared/protocol';

/** Customers pay from customer_wallet; drivers earn into (and owe commission from) driver_wallet. */
export function walletKindFor(role: Role): WalletKind {
  if (role === 'customer') return 'customer_wallet';
  if (role === 'driver') return 'driver_wallet';
  throw new AppError('forbidden', 'operators have no wallet');
}

export const IDEMPOTENCY_KEY_MAX = 128;

/** The `Idempotency-Key` header: required, 1..128 printable ASCII characters. */
export function parseIdempotencyKey(header: string | undefined): string {
  if (header === undefined || header.length === 0) {
    throw new AppError('missing_idempotency_key', 'the Idempotency-Key header is required for a top-up');
  }
  if (header.length > IDEMPOTENCY_KEY_MAX || !/^[\x21-\x7e]+$/.test(header)) {
    throw new AppError('validation_failed', `Idempotency-Key must be 1..${IDEMPOTENCY_KEY_MAX} printable ASCII characters without spaces`, {
      details: { field: 'Idempotency-Key' },
    });
  }
  return header;
}

/** A top-up amount: a positive integer of minor units, at most MAX_TOPUP_AMOUNT. */
export function assertTopUpAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new AppError('validation_failed', 'amount must be a positive integer of minor units', { details: { field: 'amount' } });
  }
  if (amount > MAX_TOPUP_AMOUNT) {
    throw new AppError('validation_failed', `a single top-up is at most ${MAX_TOPUP_AMOUNT} minor units`, { details: { field: 'amount', max: MAX_TOPUP_AMOUNT } });
  }
}

/** A retry with a used key: the stored transaction if it was the same top-up, else conflict. */
export function replayOf(stored: StoredTopUp, args: Pick<TopUpArgs, 'amount' | 'currency' | 'idempotencyKey'>): TransactionView {
  if (stored.kind !== 'wallet_topup' || stored.amount !== args.amount || stored.currency !== args.currency) {
    throw new AppError('conflict', 'this Idempotency-Key was already used for a different request', {
      details: { idempotencyKey: args.idempotencyKey, transactionId: stored.transaction.id },
    });
  }
  return stored.transaction;
}
