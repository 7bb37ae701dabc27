import { customer, driver, near, place, scenario, type Vars } from '../src/scenario/dsl.js';
import { askPrice, num, roundFare } from './common.js';

/** Longer than this, the scenario does not wait for the bid to expire (the stack's BID_TTL_MS is too long). */
const MAX_EXPIRY_WAIT_MS = 31_000;
const tooLong = (v: Vars) => (Number(v.bidExpiresInMs) > MAX_EXPIRY_WAIT_MS ? `bids live ${Math.round(Number(v.bidExpiresInMs) / 1000)} s here; run the stack with BID_TTL_MS=5000 to see one expire` : false);

export default scenario({
  name: 'bid-expires',
  title: 'An unanswered bid expires; the driver bids again',
  description:
    'Waqas counters Noor’s ask; she lets the counter sit until it expires (both are told), accepting it afterwards is ' +
    'refused, Waqas bids again at her ask and she takes that one. Waits one bid lifetime (BID_TTL_MS, 30 s by default).',
  requires: 'waits one bid lifetime: BID_TTL_MS <= 31000 (e.g. BID_TTL_MS=5000); longer, the expiry steps are skipped',
  actors: { noor: customer('Noor Fatima'), waqas: driver('Waqas Ansari', 4) },
  steps: [
    { say: 'Waqas waits near Clifton', actor: 'waqas', send: 'driver.online', data: near('Clifton', 300) },
    askPrice('noor', 'Clifton', 'Sea View'),
    { say: 'Noor asks {{suggested|money}} for a ride to Sea View', actor: 'noor', send: 'ride.request', data: { pickup: place('Clifton'), dropoff: place('Sea View'), fare: '$suggested', paymentMethod: 'cash' }, save: { rideId: 'rideId' } },
    { actor: 'waqas', expectFrame: 'ride.requested', where: { ride: { id: '$rideId' } } },
    { let: { counter: (v) => roundFare(num(v, 'suggested') * 1.3) } },
    {
      say: 'Waqas counters at {{counter|money}}',
      actor: 'waqas',
      send: 'bid.place',
      data: { rideId: '$rideId', fare: '$counter' },
      ackMatches: { offer: 'counter', bid: { status: 'open' } },
      save: { bidId: 'bid.id', bidExpiresAt: 'bid.expiresAt' },
    },
    { actor: 'noor', expectFrame: 'bid.received', where: { bid: { id: '$bidId', fare: '$counter' } } },
    { let: { bidExpiresInMs: (v) => Date.parse(String(v.bidExpiresAt)) - Date.now() } },
    {
      say: 'Noor finds it too much and lets the bid sit: it expires',
      actor: 'noor',
      expectFrame: 'bid.expired',
      where: { rideId: '$rideId', bidId: '$bidId' },
      within: (v) => Number(v.bidExpiresInMs) + 3000,
      skipIf: tooLong,
    },
    { say: 'Waqas is told his bid expired', actor: 'waqas', expectFrame: 'bid.expired', where: { bidId: '$bidId' }, skipIf: tooLong },
    { say: 'Accepting the expired bid is refused', actor: 'noor', send: 'bid.accept', data: { rideId: '$rideId', bidId: '$bidId' }, expect: { error: 'bid_expired' }, skipIf: tooLong },
    { say: 'Waqas bids again, at her ask this time', actor: 'waqas', send: 'bid.place', data: { rideId: '$rideId', fare: '$suggested' }, ackMatches: { offer: 'as_offered' }, save: { secondBid: 'bid.id' }, skipIf: tooLong },
    { actor: 'noor', expectFrame: 'bid.received', where: { bid: { id: '$secondBid' } }, skipIf: tooLong },
    { say: 'Noor accepts it', actor: 'noor', send: 'bid.accept', data: { rideId: '$rideId', bidId: '$secondBid' }, ackMatches: { ride: { status: 'assigned', agreedFare: '$suggested' } }, skipIf: tooLong },
    {
      say: 'The record keeps the expired counter and the accepted bid',
      actor: 'noor',
      http: { method: 'GET', path: '/api/rides/$rideId' },
      expectStatus: 200,
      expectBody: { bids: { $some: { id: '$bidId', status: 'expired' } }, events: { $some: { type: 'bid_expired' } } },
      skipIf: tooLong,
    },
    { actor: 'noor', http: { method: 'GET', path: '/api/rides/$rideId' }, expectStatus: 200, expectBody: { bids: { $some: { id: '$secondBid', status: 'accepted' } } }, skipIf: tooLong },
    { say: 'Noor cancels (demo over)', actor: 'noor', send: 'ride.cancel', data: { rideId: '$rideId', reason: 'Demo over' } },
  ],
});
