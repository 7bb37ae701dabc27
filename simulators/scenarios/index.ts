/** Every scripted scenario, in the order `drivrr scenario list` shows them. */
import type { Scenario } from '../src/scenario/dsl.js';
import backgroundDriver from './background-driver.js';
import bidExpires from './bid-expires.js';
import bikeRide from './bike-ride.js';
import bidRace from './bid-race.js';
import chatAtPickup from './chat-at-pickup.js';
import customerCancelsWhileBidding from './customer-cancels-while-bidding.js';
import driverCancelsAfterAccept from './driver-cancels-after-accept.js';
import driverReconnectsMidRide from './driver-reconnects-mid-ride.js';
import haggleCounterOffer from './haggle-counter-offer.js';
import happyPath from './happy-path.js';
import lateCancelFee from './late-cancel-fee.js';
import noDriversNearby from './no-drivers-nearby.js';
import raiseFare from './raise-fare.js';
import shareTrip from './share-trip.js';
import walletPayment from './wallet-payment.js';

export const SCENARIOS: readonly Scenario[] = [
  happyPath,
  haggleCounterOffer,
  raiseFare,
  noDriversNearby,
  driverCancelsAfterAccept,
  customerCancelsWhileBidding,
  bidRace,
  driverReconnectsMidRide,
  walletPayment,
  bidExpires,
  backgroundDriver,
  shareTrip,
  bikeRide,
  chatAtPickup,
  lateCancelFee,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((candidate) => candidate.name === name);
}
