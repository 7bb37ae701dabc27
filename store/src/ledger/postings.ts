/** Pure: which accounts a ledger transaction moves money between, and by how much. No I/O. */

export type WalletKind = 'customer_wallet' | 'driver_wallet';
/** Accounts a user owns: the wallets, and what a customer owes beyond their wallet (balance <= 0). */
export type OwnedAccountKind = WalletKind | 'customer_debt';
export type SystemAccountKind = 'platform_revenue' | 'external_funding' | 'cash_settlement';
export type AccountKind = OwnedAccountKind | SystemAccountKind;
export type TransactionKind = 'wallet_topup' | 'ride_wallet_payment' | 'ride_cash_commission' | 'ride_cancel_fee' | 'debt_repayment';
export type PaymentMethod = 'cash' | 'wallet';

/** The largest single top-up accepted (minor units): 1,000,000 = 10,000.00 PKR. */
export const MAX_TOPUP_AMOUNT = 1_000_000;

/** Which account a posting touches, by role in the transaction (resolved to ids by the repository). */
export type PostingAccount = OwnedAccountKind | SystemAccountKind;

export interface Posting {
  account: PostingAccount;
  /** Signed minor units: + credits the account's balance, - debits it. Never 0. */
  amount: number;
}

export interface PlannedTransaction {
  kind: TransactionKind;
  /** The transaction's gross amount (> 0): the top-up, or the ride's fare. */
  amount: number;
  postings: Posting[];
}

function assertMinorUnits(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer of minor units (got ${value})`);
}

/**
 * The platform's commission on a fare, in integer minor units, rounded half up:
 * commission = floor(fare * pct / 100 + 1/2). `commissionPct` may have up to 2 decimals
 * (it is taken in hundredths of a percent, i.e. basis points).
 */
export function commissionOf(fare: number, commissionPct: number): number {
  assertMinorUnits('fare', fare);
  if (!Number.isFinite(commissionPct) || commissionPct < 0 || commissionPct > 100) {
    throw new RangeError(`commissionPct must be within 0..100 (got ${commissionPct})`);
  }
  const basisPoints = Math.round(commissionPct * 100);
  // fare <= 1e8 and basisPoints <= 1e4: the product stays far below 2^53, exact in doubles.
  return Math.floor((fare * basisPoints + 5_000) / 10_000);
}

/** Drops zero postings (an entry of 0 is not allowed) and checks the rest sum to zero. */
function balanced(postings: Posting[]): Posting[] {
  const nonZero = postings.filter((p) => p.amount !== 0);
  const sum = nonZero.reduce((total, p) => total + p.amount, 0);
  if (sum !== 0) throw new Error(`postings do not balance (sum ${sum})`);
  return nonZero;
}

/** Simulated top-up: money enters from outside (external_funding) into a wallet. */
export function planTopUp(amount: number, wallet: WalletKind = 'customer_wallet'): PlannedTransaction {
  assertMinorUnits('amount', amount);
  return {
    kind: 'wallet_topup',
    amount,
    postings: balanced([
      { account: 'external_funding', amount: -amount },
      { account: wallet, amount },
    ]),
  };
}

/**
 * Settling a completed ride.
 * - cash: the customer paid the driver in cash outside the ledger; the driver owes the platform
 *   its commission: driver_wallet -= commission, platform_revenue += commission. With a 0
 *   commission the transaction has no entries (it still records the trip and its fare).
 * - wallet: customer_wallet -= fare, driver_wallet += fare - commission, platform_revenue += commission.
 */
export function planRideSettlement(args: { fare: number; paymentMethod: PaymentMethod; commissionPct: number }): PlannedTransaction {
  const commission = commissionOf(args.fare, args.commissionPct);
  if (args.paymentMethod === 'cash') {
    return {
      kind: 'ride_cash_commission',
      amount: args.fare,
      postings: balanced([
        { account: 'driver_wallet', amount: -commission },
        { account: 'platform_revenue', amount: commission },
      ]),
    };
  }
  return {
    kind: 'ride_wallet_payment',
    amount: args.fare,
    postings: balanced([
      { account: 'customer_wallet', amount: -args.fare },
      { account: 'driver_wallet', amount: args.fare - commission },
      { account: 'platform_revenue', amount: commission },
    ]),
  };
}

/**
 * A cancellation fee: the driver is credited the whole fee at once; the customer's wallet pays as
 * far as its balance covers, and the rest becomes debt (customer_debt goes below 0 by it), so a
 * wallet never goes negative. No commission is taken on a fee.
 */
export function planCancellationFee(args: { fee: number; walletBalance: number }): PlannedTransaction & { fromWallet: number; toDebt: number } {
  assertMinorUnits('fee', args.fee);
  const fromWallet = Math.max(0, Math.min(args.walletBalance, args.fee));
  const toDebt = args.fee - fromWallet;
  return {
    kind: 'ride_cancel_fee',
    amount: args.fee,
    fromWallet,
    toDebt,
    postings: balanced([
      { account: 'customer_wallet', amount: -fromWallet },
      { account: 'customer_debt', amount: -toDebt },
      { account: 'driver_wallet', amount: args.fee },
    ]),
  };
}

/**
 * Paying off debt from the wallet, as far as it covers (`debt` is what is owed, >= 0). Null when
 * there is nothing to move (no debt, or an empty wallet).
 */
export function planDebtRepayment(args: { debt: number; walletBalance: number }): PlannedTransaction | null {
  const amount = Math.max(0, Math.min(args.debt, args.walletBalance));
  if (amount === 0) return null;
  return {
    kind: 'debt_repayment',
    amount,
    postings: balanced([
      { account: 'customer_wallet', amount: -amount },
      { account: 'customer_debt', amount },
    ]),
  };
}
