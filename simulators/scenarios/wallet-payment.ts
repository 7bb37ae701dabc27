import { customer, driver, near, place, scenario } from '../src/scenario/dsl.js';
import { askPrice, num } from './common.js';

const TOP_UP = 300_000;

export default scenario({
  name: 'wallet-payment',
  title: 'Paying from the wallet',
  description:
    'Amna wants to pay by wallet but it is empty: the request is refused up front. She tops up (and her app retries the ' +
    'top-up with the same Idempotency-Key: charged once), rides with Nadeem, and on completion the fare moves from her ' +
    'wallet to his, less the platform commission.',
  actors: { amna: customer('Amna Sheikh'), nadeem: driver('Nadeem Khan', 5) },
  steps: [
    { say: 'Nadeem waits near PECHS', actor: 'nadeem', send: 'driver.online', data: near('PECHS', 300) },
    { say: 'Amna’s wallet is empty', actor: 'amna', http: { method: 'GET', path: '/api/payments/wallet' }, expectStatus: 200, expectBody: { balance: 0 } },
    askPrice('amna', 'PECHS', 'Mazar-e-Quaid'),
    {
      say: 'Paying {{suggested|money}} from an empty wallet is refused up front',
      actor: 'amna',
      send: 'ride.request',
      data: { pickup: place('PECHS'), dropoff: place('Mazar-e-Quaid'), fare: '$suggested', paymentMethod: 'wallet' },
      expect: { error: 'insufficient_funds' },
    },
    { let: { topUpKey: () => `scenario-topup-${Date.now()}-${Math.random().toString(36).slice(2)}` } },
    {
      say: `Amna tops up ${TOP_UP / 100} rupees`,
      actor: 'amna',
      http: { method: 'POST', path: '/api/payments/wallet/topup', body: { amount: TOP_UP }, idempotencyKey: '$topUpKey' },
      expectStatus: 201,
      expectBody: { amount: TOP_UP },
      save: { topUpId: 'id' },
    },
    {
      say: 'Her app retries the top-up with the same Idempotency-Key: the same transaction comes back',
      actor: 'amna',
      http: { method: 'POST', path: '/api/payments/wallet/topup', body: { amount: TOP_UP }, idempotencyKey: '$topUpKey' },
      expectStatus: [200, 201],
      expectBody: { id: '$topUpId' },
    },
    { say: `She was charged once: the balance is ${TOP_UP / 100} rupees`, actor: 'amna', http: { method: 'GET', path: '/api/payments/wallet' }, expectStatus: 200, expectBody: { balance: TOP_UP } },
    { say: 'Amna asks for the ride, paying by wallet', actor: 'amna', send: 'ride.request', data: { pickup: place('PECHS'), dropoff: place('Mazar-e-Quaid'), fare: '$suggested', paymentMethod: 'wallet' }, save: { rideId: 'rideId' }, ackMatches: { ride: { paymentMethod: 'wallet' } } },
    { actor: 'nadeem', expectFrame: 'ride.requested', where: { ride: { id: '$rideId', paymentMethod: 'wallet' } } },
    { actor: 'nadeem', send: 'bid.place', data: { rideId: '$rideId', fare: '$suggested' }, save: { bidId: 'bid.id' } },
    { actor: 'amna', expectFrame: 'bid.received', where: { bid: { id: '$bidId' } } },
    { say: 'Amna accepts Nadeem', actor: 'amna', send: 'bid.accept', data: { rideId: '$rideId', bidId: '$bidId' } },
    { actor: 'nadeem', expectFrame: 'ride.assigned', where: { ride: { id: '$rideId' } } },
    { say: 'Nadeem arrives, drives and completes the ride', actor: 'nadeem', send: 'ride.arrived', data: { rideId: '$rideId' } },
    { actor: 'nadeem', send: 'ride.start', data: { rideId: '$rideId' } },
    { actor: 'nadeem', send: 'ride.complete', data: { rideId: '$rideId' }, ackMatches: { ride: { status: 'completed' } } },
    { let: { amnaAfter: (v) => TOP_UP - num(v, 'suggested') } },
    { say: 'The fare left Amna’s wallet: {{amnaAfter|money}} remain', actor: 'amna', http: { method: 'GET', path: '/api/payments/wallet' }, expectStatus: 200, expectBody: { balance: '$amnaAfter' } },
    {
      say: 'Nadeem received the fare less the platform commission',
      actor: 'nadeem',
      http: { method: 'GET', path: '/api/payments/wallet' },
      expectStatus: 200,
      expectBody: { balance: { $gt: 0, $lt: '$suggested' } },
    },
    {
      say: 'Her transactions show the top-up and the ride payment',
      actor: 'amna',
      http: { method: 'GET', path: '/api/payments/transactions' },
      expectStatus: 200,
      expectBody: { items: { $some: { rideId: '$rideId', amount: { $lt: 0 } } } },
    },
    { actor: 'amna', http: { method: 'GET', path: '/api/payments/transactions' }, expectStatus: 200, expectBody: { items: { $some: { id: '$topUpId', amount: TOP_UP } } } },
  ],
});
