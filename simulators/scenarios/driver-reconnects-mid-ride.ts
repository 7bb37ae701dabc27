import { customer, driver, near, place, scenario } from '../src/scenario/dsl.js';
import { askPrice } from './common.js';

export default scenario({
  name: 'driver-reconnects-mid-ride',
  title: 'The driver loses the connection mid-ride and comes back',
  description:
    'During the trip Saad’s phone loses its network. The ride is not cancelled; when he reconnects, session.state gives ' +
    'him his ride back, Iqra sees his car move again, and his app re-sends "complete" with the same message id: the ' +
    'server applies it once and replays its answer.',
  actors: { iqra: customer('Iqra Soomro'), saad: driver('Saad Malik', 4) },
  steps: [
    { say: 'Saad waits near Lyari', actor: 'saad', send: 'driver.online', data: near('Lyari', 300) },
    askPrice('iqra', 'Lyari', 'I.I. Chundrigar Road'),
    { say: 'Iqra asks for a ride', actor: 'iqra', send: 'ride.request', data: { pickup: place('Lyari'), dropoff: place('I.I. Chundrigar Road'), fare: '$suggested', paymentMethod: 'cash' }, save: { rideId: 'rideId' } },
    { actor: 'saad', expectFrame: 'ride.requested', where: { ride: { id: '$rideId' } } },
    { actor: 'saad', send: 'bid.place', data: { rideId: '$rideId', fare: '$suggested' }, save: { bidId: 'bid.id' } },
    { actor: 'iqra', expectFrame: 'bid.received', where: { bid: { id: '$bidId' } } },
    { say: 'Iqra accepts Saad', actor: 'iqra', send: 'bid.accept', data: { rideId: '$rideId', bidId: '$bidId' } },
    { actor: 'saad', expectFrame: 'ride.assigned', where: { ride: { id: '$rideId' } } },
    { say: 'Saad arrives and starts the trip', actor: 'saad', send: 'ride.arrived', data: { rideId: '$rideId' } },
    { actor: 'saad', send: 'ride.start', data: { rideId: '$rideId' }, ackMatches: { ride: { status: 'in_progress' } } },
    { say: "Saad's phone drives into a dead zone: the connection drops", actor: 'saad', drop: true },
    { say: 'Iqra is not told the ride was cancelled', actor: 'iqra', expectNoFrame: 'ride.cancelled', during: 1500 },
    {
      say: 'Saad is back: session.state gives him his ride, still in progress',
      actor: 'saad',
      reconnect: true,
      expectSession: { user: { id: '$saad.id' }, activeRide: { id: '$rideId', status: 'in_progress', customer: { name: 'Iqra Soomro' } } },
    },
    { say: 'Saad reports his position again', actor: 'saad', send: 'location.update', data: { ...near('I.I. Chundrigar Road', 400), heading: 180, speed: 9 } },
    { say: "Iqra sees Saad's car moving again", actor: 'iqra', expectFrame: 'driver.location', where: { driverId: '$saad.id' } },
    { say: 'Saad completes the ride', actor: 'saad', send: 'ride.complete', id: 'complete', data: { rideId: '$rideId' }, ackMatches: { ride: { status: 'completed' } } },
    {
      say: 'His app, unsure the answer arrived, re-sends the same message (same id): the same answer comes back',
      actor: 'saad',
      send: 'ride.complete',
      id: 'complete',
      data: { rideId: '$rideId' },
      ackMatches: { ride: { status: 'completed' } },
    },
    { actor: 'iqra', expectFrame: 'ride.status', where: { rideId: '$rideId', status: 'completed' } },
    {
      say: 'The timeline holds exactly one completion',
      actor: 'iqra',
      http: { method: 'GET', path: '/api/rides/$rideId' },
      expectStatus: 200,
      expectBody: { status: 'completed', events: { $count: [{ type: 'completed' }, 1] } },
    },
  ],
});
