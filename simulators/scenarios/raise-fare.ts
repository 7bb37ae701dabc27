import { customer, driver, near, place, scenario } from '../src/scenario/dsl.js';
import { askPrice, num, roundFare } from './common.js';

export default scenario({
  name: 'raise-fare',
  title: 'No takers at a low ask: the customer raises the fare',
  description:
    'Hina asks the floor; Faisal, offered the ride, does not bid. Hina raises her fare (lowering it is refused); Faisal is ' +
    'offered the ride again at the new fare, bids it as offered, and she accepts. The timeline records the raise.',
  actors: { hina: customer('Hina Abbasi'), faisal: driver('Faisal Baloch', 5) },
  steps: [
    { say: 'Faisal waits near Mazar-e-Quaid', actor: 'faisal', send: 'driver.online', data: near('Mazar-e-Quaid', 350) },
    askPrice('hina', 'Mazar-e-Quaid', 'Saddar'),
    {
      say: 'Hina asks the floor, {{minimum|money}}',
      actor: 'hina',
      send: 'ride.request',
      data: { pickup: place('Mazar-e-Quaid'), dropoff: place('Saddar'), fare: '$minimum', paymentMethod: 'cash' },
      save: { rideId: 'rideId' },
    },
    { say: 'Faisal is offered the ride at {{minimum|money}}, but it is too cheap for him', actor: 'faisal', expectFrame: 'ride.requested', where: { ride: { id: '$rideId', fare: '$minimum' } } },
    { say: 'No bid comes', actor: 'hina', expectNoFrame: 'bid.received', where: { rideId: '$rideId' }, during: 1500 },
    { let: { raised: (v) => Math.max(roundFare(num(v, 'suggested') * 1.1), num(v, 'minimum') + 1000), lower: (v) => num(v, 'minimum') - 1000 } },
    { say: 'Lowering the ask is refused', actor: 'hina', send: 'ride.raise_fare', data: { rideId: '$rideId', fare: '$lower' }, expect: { error: 'validation_failed' } },
    {
      say: 'Hina raises her fare to {{raised|money}}',
      actor: 'hina',
      send: 'ride.raise_fare',
      data: { rideId: '$rideId', fare: '$raised' },
      ackMatches: { ride: { status: 'requested', fare: '$raised' } },
    },
    { say: 'Faisal is offered the ride again, now at {{raised|money}}', actor: 'faisal', expectFrame: 'ride.requested', where: { ride: { id: '$rideId', fare: '$raised' } } },
    { say: 'Faisal takes it as offered', actor: 'faisal', send: 'bid.place', data: { rideId: '$rideId', fare: '$raised' }, ackMatches: { offer: 'as_offered' }, save: { bidId: 'bid.id' } },
    { actor: 'hina', expectFrame: 'bid.received', where: { bid: { id: '$bidId', fare: '$raised' } } },
    { say: 'Hina accepts', actor: 'hina', send: 'bid.accept', data: { rideId: '$rideId', bidId: '$bidId' }, ackMatches: { ride: { status: 'assigned', agreedFare: '$raised' } } },
    { actor: 'faisal', expectFrame: 'ride.assigned', where: { ride: { id: '$rideId' } } },
    {
      say: 'The timeline shows the raise from {{minimum|money}} to {{raised|money}}',
      actor: 'hina',
      http: { method: 'GET', path: '/api/rides/$rideId' },
      expectStatus: 200,
      expectBody: { fare: '$raised', agreedFare: '$raised', events: { $some: { type: 'fare_raised', data: { from: '$minimum', to: '$raised' } } } },
    },
    { say: 'Faisal arrives, drives and completes the ride', actor: 'faisal', send: 'ride.arrived', data: { rideId: '$rideId' } },
    { actor: 'faisal', send: 'ride.start', data: { rideId: '$rideId' } },
    { actor: 'faisal', send: 'ride.complete', data: { rideId: '$rideId' }, ackMatches: { ride: { status: 'completed' } } },
  ],
});
