import { customer, driver, near, place, scenario } from '../src/scenario/dsl.js';
import { askPrice } from './common.js';

export default scenario({
  name: 'driver-cancels-after-accept',
  title: 'The driver cancels after being assigned',
  description:
    'Zainab takes Usman’s bid; on the way Usman cancels (his car broke down). Zainab is told who cancelled and why, the ' +
    'history records it, Usman is free again, and her next request reaches him.',
  actors: { zainab: customer('Zainab Raza'), usman: driver('Usman Sheikh', 0) },
  steps: [
    { say: 'Usman waits near Burns Road', actor: 'usman', send: 'driver.online', data: near('Burns Road', 300) },
    askPrice('zainab', 'Burns Road', 'Port Grand'),
    { say: 'Zainab asks for a ride at {{suggested|money}}', actor: 'zainab', send: 'ride.request', data: { pickup: place('Burns Road'), dropoff: place('Port Grand'), fare: '$suggested', paymentMethod: 'cash' }, save: { rideId: 'rideId' } },
    { actor: 'usman', expectFrame: 'ride.requested', where: { ride: { id: '$rideId' } } },
    { say: 'Usman bids', actor: 'usman', send: 'bid.place', data: { rideId: '$rideId', fare: '$suggested' }, save: { bidId: 'bid.id' } },
    { actor: 'zainab', expectFrame: 'bid.received', where: { bid: { id: '$bidId' } } },
    { say: 'Zainab accepts', actor: 'zainab', send: 'bid.accept', data: { rideId: '$rideId', bidId: '$bidId' } },
    { actor: 'usman', expectFrame: 'ride.assigned', where: { ride: { id: '$rideId' } } },
    {
      say: "Usman's car breaks down: he cancels",
      actor: 'usman',
      send: 'ride.cancel',
      data: { rideId: '$rideId', reason: 'Car broke down' },
      ackMatches: { ride: { status: 'cancelled', cancelledBy: 'driver', cancelReason: 'Car broke down' } },
    },
    { say: 'Zainab is told Usman cancelled, and why', actor: 'zainab', expectFrame: 'ride.cancelled', where: { rideId: '$rideId', by: 'driver', reason: 'Car broke down' } },
    { say: 'A cancelled ride cannot be cancelled again by her', actor: 'zainab', send: 'ride.cancel', data: { rideId: '$rideId', reason: 'too late' }, expect: { error: ['invalid_transition', 'ride_not_open'] } },
    {
      say: 'The history records who cancelled at which stage',
      actor: 'zainab',
      http: { method: 'GET', path: '/api/rides/$rideId' },
      expectStatus: 200,
      expectBody: { status: 'cancelled', cancelledBy: 'driver', events: { $some: { type: 'cancelled', fromStatus: 'assigned', actorRole: 'driver' } } },
    },
    { say: 'Zainab asks again', actor: 'zainab', send: 'ride.request', data: { pickup: place('Burns Road'), dropoff: place('Port Grand'), fare: '$suggested', paymentMethod: 'cash' }, save: { secondRideId: 'rideId' } },
    { say: 'Usman (free again, car fixed) is offered the new request', actor: 'usman', expectFrame: 'ride.requested', where: { ride: { id: '$secondRideId' } } },
    { say: 'Zainab cancels her second request', actor: 'zainab', send: 'ride.cancel', data: { rideId: '$secondRideId', reason: 'Took a rickshaw' } },
    { say: 'The offer is withdrawn from Usman', actor: 'usman', expectFrame: 'ride.withdrawn', where: { rideId: '$secondRideId', reason: 'cancelled' } },
  ],
});
