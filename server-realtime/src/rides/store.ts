/**
 * The RideStore port: what the rides module reads and writes inside one transaction (rides, bids,
 * offers, the events/outbox, the wallet balance and settlement it needs), each operation bound to
 * that transaction. The PostgreSQL implementation binds the repositories of src/db/ (plain,
 * parameterised SQL) to the transaction's client; the commands never see a client or SQL.
 */
import type { PoolClient } from '@drivrr/shared/db';
import { chargeCancellationFee, getCustomerDebt, getWalletBalance, settleRide } from '@drivrr/store/ledger';
import { countMessagesSince, findMessageByClientId, insertRideMessage } from '@drivrr/store/ride-messages';
import { claimDueBid, closeBid, findOpenBid, insertBid, readBidEtaS, lockOpenBids, readBid, readBidView, rejectOpenBids, withdrawOpenBidsOfDriver } from '../db/bids.js';
import { endOffersOfRide, insertOffers, listOfferHolders, readOfferStatus, recordBid, setOfferStatus, withdrawOffersOfDriver } from '../db/offers.js';
import { appendRideEvents } from '../db/ride-events.js';
import {
  busyDriverIds,
  claimDueExpiry,
  claimDueTick,
  isDriverBusy,
  lockDriver,
  lockRide,
  persistRideTransition,
  readRide,
  readRideParties,
  shareLockRide,
  updateAskedFare,
  updateSearch,
} from '../db/rides.js';

const postgresOperations = {
  // rides
  lockRide,
  shareLockRide,
  readRide,
  readRideParties,
  persistRideTransition,
  updateAskedFare,
  updateSearch,
  claimDueExpiry,
  claimDueTick,
  // drivers
  lockDriver,
  isDriverBusy,
  busyDriverIds,
  // bids
  findOpenBid,
  readBid,
  readBidView,
  readBidEtaS,
  insertBid,
  lockOpenBids,
  closeBid,
  rejectOpenBids,
  withdrawOpenBidsOfDriver,
  claimDueBid,
  // offers
  listOfferHolders,
  readOfferStatus,
  insertOffers,
  recordBid,
  setOfferStatus,
  endOffersOfRide,
  withdrawOffersOfDriver,
  // chat
  insertRideMessage,
  findMessageByClientId,
  countMessagesSince,
  // events (the outbox)
  appendRideEvents,
  // the ledger
  walletBalance: getWalletBalance,
  customerDebt: getCustomerDebt,
  settleRide,
  chargeCancellationFee,
};

/** An operation with its transaction already bound: the repository function minus its first argument. */
type Bound<F> = F extends (client: never, ...args: infer A) => infer R ? (...args: A) => R : never;

export type RideStore = { readonly [K in keyof typeof postgresOperations]: Bound<(typeof postgresOperations)[K]> };

/** The PostgreSQL RideStore of one transaction. */
export function postgresRideStore(client: PoolClient): RideStore {
  const bound: Record<string, unknown> = {};
  for (const [name, operation] of Object.entries(postgresOperations)) {
    bound[name] = (...args: unknown[]) => (operation as (client: PoolClient, ...rest: unknown[]) => unknown)(client, ...args);
  }
  return bound as RideStore;
}
