-- Up Migration
-- Issue 17: cancellation fees, the customer's debt, and the driver's cancellation rate.

-- The terms a ride was assigned under (the cancellation policy and the accepted bid's ETA), so the
-- rules a cancel is judged by, and the ride views of both services, do not change when the config does.
ALTER TABLE rides
  ADD COLUMN cancel_terms jsonb,
  -- the fee a cancel charged (minor units), null when it was free
  ADD COLUMN cancel_fee bigint CHECK (cancel_fee IS NULL OR cancel_fee > 0),
  -- a driver's cancel after assignment for any reason but customer_no_show
  ADD COLUMN cancel_counts_against_driver boolean NOT NULL DEFAULT false;
-- The driver's last 50 assignments, newest first (the cancellation rate on every bid).
CREATE INDEX rides_driver_assigned_idx ON rides (driver_id, assigned_at DESC) WHERE assigned_at IS NOT NULL;

-- What a customer owes beyond their wallet (a fee the wallet did not cover): never above 0.
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check
  CHECK (kind IN ('customer_wallet', 'customer_debt', 'driver_wallet', 'platform_revenue', 'external_funding', 'cash_settlement'));
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_debt_non_positive CHECK (kind <> 'customer_debt' OR balance <= 0);

ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check;
ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check
  CHECK (kind IN ('wallet_topup', 'ride_wallet_payment', 'ride_cash_commission', 'ride_cancel_fee', 'debt_repayment'));

-- Down Migration
-- Ledger rows are append-only: fee and debt transactions stay; the old checks come back NOT VALID.
ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check;
ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check
  CHECK (kind IN ('wallet_topup', 'ride_wallet_payment', 'ride_cash_commission')) NOT VALID;
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_debt_non_positive;
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check
  CHECK (kind IN ('customer_wallet', 'driver_wallet', 'platform_revenue', 'external_funding', 'cash_settlement')) NOT VALID;
DROP INDEX IF EXISTS rides_driver_assigned_idx;
ALTER TABLE rides DROP COLUMN cancel_counts_against_driver, DROP COLUMN cancel_fee, DROP COLUMN cancel_terms;
