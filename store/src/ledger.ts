/**
 * The double-entry ledger: a pure posting builder (what moves where) and repository functions that
 * write it. Used by the auth service (top-ups, wallet and transactions endpoints) and the realtime
 * service (settling a ride on completion). See docs/payments.md.
 *
 * Rules kept here:
 * - Transactions and entries are only ever inserted (the database refuses UPDATE/DELETE on them).
 * - Every transaction's entries sum to zero (checked again by a deferred trigger at COMMIT).
 * - Account balances are updated in the SAME database transaction as the entries, after locking
 *   the accounts with SELECT ... FOR UPDATE in id order (a stable order: no deadlocks between
 *   concurrent postings), and each entry records the account's balance after it.
 * - Money is integer minor units.
 */
export * from './ledger/postings.js';
export * from './ledger/repository.js';
