/** Payment rules on the REST side: pure, no I/O. */
import { AppError } from '@drivrr/shared';
import type { WalletKind } from '@drivrr/store/ledger';
import type { Role } from '@drivrr/shared/protocol';

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
