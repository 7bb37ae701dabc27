import { customer, driver, near, place, scenario } from '../src/scenario/dsl.js';
import { askPrice, num } from './common.js';

const TOP_UP = 100_000;

export default scenario({
  name: 'late-cancel-fee',
  title: 'A late cancel costs a fee',
  description:
    'Sana takes Imran’s bid: her app shows until when she may cancel free. Imran arrives at the pickup, and from then a ' +
    'cancel costs the fee her ride view shows. She cancels anyway: Imran is credited at once, her empty wallet keeps ' +
    'the fee as a debt, both transaction lists and the ride’s timeline show it, and her next top-up pays the debt first.',
  actors: { sana: customer('Sana Mirza'), imran: driver('Imran Qureshi', 7) },
  steps: [
    { say: 'Imran waits near Tariq Road', actor: 'imran', send: 'driver.online', data: near('Tariq Road', 300) },
    askPrice('sana', 'Tariq Road', 'Sea View'),
    { say: 'Sana asks for a ride at {{suggested|money}}, cash', actor: 'sana', send: 'ride.request', data: { pickup: place('Tariq Road'), dropoff: place('Sea View'), fare: '$suggested', paymentMethod: 'cash' }, save: { rideId: 'rideId' } },
    { actor: 'imran', expectFrame: 'ride.requested', where: { ride: { id: '$rideId' } } },
    { say: 'Imran bids at the ask', actor: 'imran', send: 'bid.place', data: { rideId: '$rideId', fare: '$suggested' }, save: { bidId: 'bid.id' } },
    {
      say: 'Sana sees Imran’s bid with how often he cancels (never yet)',
      actor: 'sana',
      expectFrame: 'bid.received',
      where: { bid: { id: '$bidId', driver: { cancellationRate: 0 } } },
    },
    {
      say: 'Sana accepts: her ride view says until when a cancel is free, and that it costs nothing now',
      actor: 'sana',
      send: 'bid.accept',
      data: { rideId: '$rideId', bidId: '$bidId' },
      ackMatches: { ride: { status: 'assigned', freeCancelUntil: { $exists: true, $ne: null }, cancelFee: null } },
    },
    { actor: 'imran', expectFrame: 'ride.assigned', where: { ride: { id: '$rideId' } } },
    {
      say: 'Imran arrives at the pickup: from now a cancel by Sana costs the fee',
      actor: 'imran',
      send: 'ride.arrived',
      data: { rideId: '$rideId' },
      ackMatches: { ride: { status: 'arrived', freeCancelUntil: null, cancelFee: { amount: { $gt: 0 } } } },
      save: { fee: 'ride.cancelFee.amount' },
    },
    { actor: 'sana', expectFrame: 'ride.status', where: { rideId: '$rideId', status: 'arrived' } },
    {
      say: 'Sana cancels anyway: the ack says she pays {{fee|money}}',
      actor: 'sana',
      send: 'ride.cancel',
      data: { rideId: '$rideId', reason: 'Plans changed', expectedStatus: 'arrived' },
      ackMatches: { ride: { status: 'cancelled' }, fee: { amount: '$fee', payer: 'customer' } },
    },
    { say: 'Imran is told, with the fee he is paid', actor: 'imran', expectFrame: 'ride.cancelled', where: { rideId: '$rideId', by: 'customer', fee: { amount: '$fee' } } },
    {
      say: 'Her app retries the cancel: the same answer, nothing charged twice',
      actor: 'sana',
      send: 'ride.cancel',
      data: { rideId: '$rideId', reason: 'Plans changed' },
      ackMatches: { ride: { status: 'cancelled' }, fee: { amount: '$fee' } },
    },
    {
      say: 'The timeline records the fee with the cancel',
      actor: 'sana',
      http: { method: 'GET', path: '/api/rides/$rideId' },
      expectStatus: 200,
      expectBody: { status: 'cancelled', events: { $some: { type: 'cancelled', fromStatus: 'arrived', data: { fee: { amount: '$fee' }, feeRule: 'after_arrival' } } } },
    },
    { say: 'Imran was credited at once', actor: 'imran', http: { method: 'GET', path: '/api/payments/wallet' }, expectStatus: 200, expectBody: { balance: '$fee' } },
    {
      say: 'Imran’s transactions show the fee',
      actor: 'imran',
      http: { method: 'GET', path: '/api/payments/transactions' },
      expectStatus: 200,
      expectBody: { items: { $count: [{ kind: 'ride_cancel_fee', rideId: '$rideId', amount: '$fee' }, 1] } },
    },
    { say: 'Sana’s wallet was empty: she owes the fee', actor: 'sana', http: { method: 'GET', path: '/api/payments/wallet' }, expectStatus: 200, expectBody: { balance: 0, debt: '$fee' } },
    {
      say: 'Sana’s transactions show the fee as a debt',
      actor: 'sana',
      http: { method: 'GET', path: '/api/payments/transactions' },
      expectStatus: 200,
      expectBody: { items: { $some: { kind: 'ride_cancel_fee', rideId: '$rideId', account: 'debt' } } },
    },
    { let: { topUpKey: () => `scenario-fee-topup-${Date.now()}-${Math.random().toString(36).slice(2)}`, left: (v) => TOP_UP - num(v, 'fee') } },
    { say: `Sana tops up ${TOP_UP / 100} rupees`, actor: 'sana', http: { method: 'POST', path: '/api/payments/wallet/topup', body: { amount: TOP_UP }, idempotencyKey: '$topUpKey' }, expectStatus: 201 },
    { say: 'The top-up paid the debt first: {{left|money}} left', actor: 'sana', http: { method: 'GET', path: '/api/payments/wallet' }, expectStatus: 200, expectBody: { balance: '$left', debt: 0 } },
  ],
});
