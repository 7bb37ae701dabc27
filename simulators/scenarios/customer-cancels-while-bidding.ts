import { customer, driver, near, place, scenario } from '../src/scenario/dsl.js';
import { askPrice, num, roundFare } from './common.js';

export default scenario({
  name: 'customer-cancels-while-bidding',
  title: 'The customer cancels while bids are coming in',
  description:
    'Two drivers bid on Sana’s request; she cancels before choosing. Both bids are rejected and the ride is withdrawn from ' +
    'both drivers; a late bid and a late accept are refused; the record shows every bid rejected.',
  actors: { sana: customer('Sana Chaudhry'), ahmed: driver('Ahmed Mirza', 1), junaid: driver('Junaid Butt', 4) },
  steps: [
    {
      say: 'Ahmed and Junaid wait near Empress Market',
      parallel: [
        { actor: 'ahmed', send: 'driver.online', data: near('Empress Market', 250) },
        { actor: 'junaid', send: 'driver.online', data: near('Empress Market', 600, 0) },
      ],
    },
    askPrice('sana', 'Empress Market', 'Clifton'),
    { say: 'Sana asks for a ride at {{suggested|money}}', actor: 'sana', send: 'ride.request', data: { pickup: place('Empress Market'), dropoff: place('Clifton'), fare: '$suggested', paymentMethod: 'cash' }, save: { rideId: 'rideId' } },
    {
      parallel: [
        { actor: 'ahmed', expectFrame: 'ride.requested', where: { ride: { id: '$rideId' } } },
        { actor: 'junaid', expectFrame: 'ride.requested', where: { ride: { id: '$rideId' } } },
      ],
    },
    { let: { counter: (v) => roundFare(num(v, 'suggested') * 1.2) } },
    { say: 'Ahmed bids the ask', actor: 'ahmed', send: 'bid.place', data: { rideId: '$rideId', fare: '$suggested' }, save: { ahmedBid: 'bid.id' } },
    { say: 'Junaid counters at {{counter|money}}', actor: 'junaid', send: 'bid.place', data: { rideId: '$rideId', fare: '$counter' }, save: { junaidBid: 'bid.id' } },
    { actor: 'sana', expectFrame: 'bid.received', where: { bid: { id: '$ahmedBid' } } },
    { actor: 'sana', expectFrame: 'bid.received', where: { bid: { id: '$junaidBid' } } },
    { say: 'Sana changes her mind and cancels', actor: 'sana', send: 'ride.cancel', data: { rideId: '$rideId', reason: 'Changed my mind' }, ackMatches: { ride: { status: 'cancelled', cancelledBy: 'customer' } } },
    {
      say: 'Both drivers are told: bid rejected, ride withdrawn (cancelled)',
      parallel: [
        { actor: 'ahmed', expectFrame: 'bid.rejected', where: { rideId: '$rideId', bidId: '$ahmedBid' } },
        { actor: 'ahmed', expectFrame: 'ride.withdrawn', where: { rideId: '$rideId', reason: 'cancelled' } },
        { actor: 'junaid', expectFrame: 'bid.rejected', where: { rideId: '$rideId', bidId: '$junaidBid' } },
        { actor: 'junaid', expectFrame: 'ride.withdrawn', where: { rideId: '$rideId', reason: 'cancelled' } },
      ],
    },
    { say: 'A late bid is refused', actor: 'junaid', send: 'bid.place', data: { rideId: '$rideId', fare: '$suggested' }, expect: { error: 'ride_not_open' } },
    { say: 'Accepting a bid of the cancelled ride is refused', actor: 'sana', send: 'bid.accept', data: { rideId: '$rideId', bidId: '$ahmedBid' }, expect: { error: ['ride_not_open', 'invalid_transition'] } },
    {
      say: 'The record shows the cancellation and both bids rejected',
      actor: 'sana',
      http: { method: 'GET', path: '/api/rides/$rideId' },
      expectStatus: 200,
      expectBody: { status: 'cancelled', driverId: null, bids: { $count: [{ status: 'rejected' }, 2] }, events: { $some: { type: 'cancelled', fromStatus: 'requested' } } },
    },
  ],
});
