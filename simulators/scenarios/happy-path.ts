import { customer, driver, near, place, scenario } from '../src/scenario/dsl.js';
import { askPrice } from './common.js';

export default scenario({
  name: 'happy-path',
  title: 'A ride from request to rating',
  description:
    'Ayesha asks for a ride from Saddar to Clifton at the suggested fare; Bilal, waiting nearby, accepts it as offered; ' +
    'she takes his bid, follows him to the pickup, rides, and rates him five stars. The history shows every step.',
  actors: { ayesha: customer('Ayesha Khan'), bilal: driver('Bilal Ahmed', 0) },
  steps: [
    { say: 'Bilal goes online 300 m from Saddar', actor: 'bilal', send: 'driver.online', data: near('Saddar', 300) },
    askPrice('ayesha', 'Saddar', 'Clifton'),
    {
      say: 'Ayesha asks for the ride at the suggested fare of {{suggested|money}}, paying cash',
      actor: 'ayesha',
      send: 'ride.request',
      data: { pickup: place('Saddar'), dropoff: place('Clifton'), fare: '$suggested', paymentMethod: 'cash' },
      ackMatches: { rideId: { $exists: true }, estimate: { suggestedFare: '$suggested' }, ride: { status: 'requested', fare: '$suggested' } },
      save: { rideId: 'rideId' },
    },
    {
      say: 'Bilal is offered the ride, with his distance to the pickup',
      actor: 'bilal',
      expectFrame: 'ride.requested',
      where: { ride: { id: '$rideId', fare: '$suggested' }, distanceToPickupM: { $lt: 1500 } },
      save: { pickupDistance: 'distanceToPickupM' },
    },
    {
      say: 'Bilal accepts the fare as offered',
      actor: 'bilal',
      send: 'bid.place',
      data: { rideId: '$rideId', fare: '$suggested' },
      ackMatches: { offer: 'as_offered', bid: { status: 'open', fare: '$suggested' } },
      save: { bidId: 'bid.id' },
    },
    {
      say: "Ayesha sees Bilal's bid: his name, vehicle and ETA",
      actor: 'ayesha',
      expectFrame: 'bid.received',
      where: { rideId: '$rideId', bid: { id: '$bidId', fare: '$suggested', etaS: { $gte: 0 }, driver: { id: '$bilal.id', name: 'Bilal Ahmed', vehicle: { plate: 'KHI-101' } } } },
    },
    {
      say: "Ayesha accepts Bilal's bid",
      actor: 'ayesha',
      send: 'bid.accept',
      data: { rideId: '$rideId', bidId: '$bidId' },
      ackMatches: { ride: { status: 'assigned', driverId: '$bilal.id', agreedFare: '$suggested' } },
    },
    { say: 'Bilal is assigned the ride, with Ayesha as his customer', actor: 'bilal', expectFrame: 'ride.assigned', where: { ride: { id: '$rideId', status: 'assigned' }, customer: { name: 'Ayesha Khan' } } },
    { say: 'Ayesha is told Bilal is coming', actor: 'ayesha', expectFrame: 'ride.assigned', where: { ride: { id: '$rideId' }, driver: { id: '$bilal.id' } } },
    { say: 'Bilal drives towards Saddar', actor: 'bilal', send: 'location.update', data: { ...near('Saddar', 120), heading: 270, speed: 8 } },
    { say: "Ayesha watches Bilal's car move on her map", actor: 'ayesha', expectFrame: 'driver.location', where: { driverId: '$bilal.id' } },
    { say: 'Bilal arrives at the pickup', actor: 'bilal', send: 'ride.arrived', data: { rideId: '$rideId' }, ackMatches: { ride: { status: 'arrived' } } },
    { say: 'Ayesha is told her driver has arrived', actor: 'ayesha', expectFrame: 'ride.status', where: { rideId: '$rideId', status: 'arrived' } },
    { say: 'Ayesha gets in; Bilal starts the trip', actor: 'bilal', send: 'ride.start', data: { rideId: '$rideId' }, ackMatches: { ride: { status: 'in_progress' } } },
    { actor: 'ayesha', expectFrame: 'ride.status', where: { rideId: '$rideId', status: 'in_progress' } },
    { say: 'They reach Clifton; Bilal completes the ride', actor: 'bilal', send: 'ride.complete', data: { rideId: '$rideId' }, ackMatches: { ride: { status: 'completed', agreedFare: '$suggested' } } },
    { say: 'Ayesha is told the ride is complete', actor: 'ayesha', expectFrame: 'ride.status', where: { rideId: '$rideId', status: 'completed' } },
    {
      say: 'Ayesha rates Bilal five stars',
      actor: 'ayesha',
      http: { method: 'POST', path: '/api/rides/$rideId/rating', body: { stars: 5, comment: 'Smooth ride, thank you' } },
      expectStatus: 201,
    },
    {
      say: "Ayesha's ride history shows the whole ride: the bid, the timeline and her rating",
      actor: 'ayesha',
      http: { method: 'GET', path: '/api/rides/$rideId' },
      expectStatus: 200,
      expectBody: {
        status: 'completed',
        agreedFare: '$suggested',
        paymentMethod: 'cash',
        driver: { id: '$bilal.id', name: 'Bilal Ahmed' },
        bids: { $count: [{ id: '$bidId', status: 'accepted' }, 1] },
        events: { $some: { type: 'completed', toStatus: 'completed' } },
        rating: { stars: 5 },
      },
    },
    { say: "Bilal's profile now carries the rating", actor: 'bilal', http: { method: 'GET', path: '/api/users/me' }, expectStatus: 200, expectBody: { rating: 5, ratingCount: 1 } },
  ],
});
