import { customer, driver, near, place, scenario } from '../src/scenario/dsl.js';
import { askPrice, num, roundFare } from './common.js';

export default scenario({
  name: 'haggle-counter-offer',
  title: 'Haggling: drivers counter a low ask',
  description:
    'Fatima asks the lowest fare allowed; Imran and Kashif counter-offer above it (a counter beyond the bound and a bid below ' +
    "the ask are refused); she takes Imran's cheaper counter, so the agreed fare is his, and Kashif's bid is rejected.",
  actors: { fatima: customer('Fatima Siddiqui'), imran: driver('Imran Qureshi', 1), kashif: driver('Kashif Memon', 4) },
  steps: [
    {
      parallel: [
        { actor: 'imran', send: 'driver.online', data: near('Frere Hall', 400) },
        { actor: 'kashif', send: 'driver.online', data: near('Frere Hall', 700, 180) },
      ],
      say: 'Imran and Kashif wait near Frere Hall',
    },
    askPrice('fatima', 'Frere Hall', 'Tariq Road'),
    {
      say: 'Fatima asks the lowest fare allowed, {{minimum|money}} (suggested {{suggested|money}})',
      actor: 'fatima',
      send: 'ride.request',
      data: { pickup: place('Frere Hall'), dropoff: place('Tariq Road'), fare: '$minimum', paymentMethod: 'cash' },
      save: { rideId: 'rideId' },
    },
    { say: 'Both drivers are offered the ride', parallel: [
      { actor: 'imran', expectFrame: 'ride.requested', where: { ride: { id: '$rideId', fare: '$minimum' } } },
      { actor: 'kashif', expectFrame: 'ride.requested', where: { ride: { id: '$rideId', fare: '$minimum' } } },
    ] },
    {
      let: {
        imranCounter: (v) => roundFare(num(v, 'minimum') * 1.25),
        kashifCounter: (v) => roundFare(num(v, 'minimum') * 1.5),
        greedy: (v) => num(v, 'minimum') * 4,
        belowAsk: (v) => num(v, 'minimum') - 1000,
      },
    },
    {
      say: 'Kashif tries four times the ask: counter-offers are bounded',
      actor: 'kashif',
      send: 'bid.place',
      data: { rideId: '$rideId', fare: '$greedy' },
      expect: { error: 'fare_above_maximum' },
      ackMatches: { maximumFare: { $lt: '$greedy' } },
    },
    { say: 'A bid below the ask is refused too', actor: 'kashif', send: 'bid.place', data: { rideId: '$rideId', fare: '$belowAsk' }, expect: { error: 'fare_below_minimum' } },
    {
      say: 'Imran counters at {{imranCounter|money}}',
      actor: 'imran',
      send: 'bid.place',
      data: { rideId: '$rideId', fare: '$imranCounter' },
      ackMatches: { offer: 'counter', bid: { fare: '$imranCounter' } },
      save: { imranBid: 'bid.id' },
    },
    {
      say: 'Kashif counters at {{kashifCounter|money}}',
      actor: 'kashif',
      send: 'bid.place',
      data: { rideId: '$rideId', fare: '$kashifCounter' },
      ackMatches: { offer: 'counter' },
      save: { kashifBid: 'bid.id' },
    },
    { say: 'Fatima sees both counter-offers', parallel: [
      { actor: 'fatima', expectFrame: 'bid.received', where: { rideId: '$rideId', bid: { id: '$imranBid', fare: '$imranCounter', driver: { name: 'Imran Qureshi' } } } },
      { actor: 'fatima', expectFrame: 'bid.received', where: { rideId: '$rideId', bid: { id: '$kashifBid', fare: '$kashifCounter', driver: { name: 'Kashif Memon' } } } },
    ] },
    {
      say: "Fatima takes Imran's cheaper counter: the agreed fare is {{imranCounter|money}}, above her ask",
      actor: 'fatima',
      send: 'bid.accept',
      data: { rideId: '$rideId', bidId: '$imranBid' },
      ackMatches: { ride: { status: 'assigned', driverId: '$imran.id', fare: '$minimum', agreedFare: '$imranCounter' } },
    },
    { say: 'Imran is assigned', actor: 'imran', expectFrame: 'ride.assigned', where: { ride: { id: '$rideId', agreedFare: '$imranCounter' } } },
    { say: "Kashif's bid is rejected and the ride withdrawn from him", parallel: [
      { actor: 'kashif', expectFrame: 'bid.rejected', where: { rideId: '$rideId', bidId: '$kashifBid' } },
      { actor: 'kashif', expectFrame: 'ride.withdrawn', where: { rideId: '$rideId', reason: 'taken' } },
    ] },
    {
      say: 'The ride record keeps the ask, the agreed fare and both bids',
      actor: 'fatima',
      http: { method: 'GET', path: '/api/rides/$rideId' },
      expectStatus: 200,
      expectBody: {
        fare: '$minimum',
        agreedFare: '$imranCounter',
        bids: { $len: 2, $some: { id: '$kashifBid', status: 'rejected' } },
        events: { $some: { type: 'assigned' } },
      },
    },
    { say: 'Fatima changes her plans and cancels', actor: 'fatima', send: 'ride.cancel', data: { rideId: '$rideId', reason: 'Plans changed' }, ackMatches: { ride: { status: 'cancelled', cancelledBy: 'customer' } } },
    { say: 'Imran is told', actor: 'imran', expectFrame: 'ride.cancelled', where: { rideId: '$rideId', by: 'customer', reason: 'Plans changed' } },
  ],
});
