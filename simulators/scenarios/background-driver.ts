import { customer, driver, near, place, scenario } from '../src/scenario/dsl.js';
import { askPrice } from './common.js';

/** A batch of fixes as a phone sends it: taken now, by the phone's clock. */
const fixesAt = (point: { lat: number; lng: number }, heading: number) => () => ({
  fixes: [{ ...point, heading, speed: 8, accuracyM: 10, ts: Date.now() }],
});

export default scenario({
  name: 'background-driver',
  title: 'The driver app goes to the background: its fixes come over HTTP',
  description:
    'On the way to the pickup Kamran switches to his navigation app and the phone suspends the Drivrr socket. His app ' +
    'keeps sending fixes with POST /api/locations; Ayesha keeps seeing his car move, fixes older than what the server ' +
    'already has are skipped, and when he is back in the app the ride goes on.',
  actors: { ayesha: customer('Ayesha Siddiqui'), kamran: driver('Kamran Baig', 1) },
  steps: [
    { say: 'Kamran waits near Saddar', actor: 'kamran', send: 'driver.online', data: near('Saddar', 600) },
    askPrice('ayesha', 'Saddar', 'Clifton'),
    { say: 'Ayesha asks for a ride', actor: 'ayesha', send: 'ride.request', data: { pickup: place('Saddar'), dropoff: place('Clifton'), fare: '$suggested', paymentMethod: 'cash' }, save: { rideId: 'rideId' } },
    { actor: 'kamran', expectFrame: 'ride.requested', where: { ride: { id: '$rideId' } } },
    { actor: 'kamran', send: 'bid.place', data: { rideId: '$rideId', fare: '$suggested' }, save: { bidId: 'bid.id' } },
    { actor: 'ayesha', expectFrame: 'bid.received', where: { bid: { id: '$bidId' } } },
    { say: 'Ayesha accepts Kamran', actor: 'ayesha', send: 'bid.accept', data: { rideId: '$rideId', bidId: '$bidId' } },
    { actor: 'kamran', expectFrame: 'ride.assigned', where: { ride: { id: '$rideId' } } },
    { say: 'Kamran opens his navigation app: the phone suspends the Drivrr socket', actor: 'kamran', drop: true },
    {
      say: 'His app sends its fixes over HTTP instead',
      actor: 'kamran',
      http: { method: 'POST', service: 'realtime', path: '/api/locations', body: fixesAt(near('Saddar', 400), 270) },
      expectStatus: 202,
      expectBody: { accepted: 1, skipped: 0, applied: true },
    },
    { say: "Ayesha sees Kamran's car move", actor: 'ayesha', expectFrame: 'driver.location', where: { driverId: '$kamran.id', lat: near('Saddar', 400).lat } },
    {
      say: 'The next batch: one fix too inaccurate to show (300 m), one good',
      actor: 'kamran',
      http: {
        method: 'POST',
        service: 'realtime',
        path: '/api/locations',
        body: () => ({
          fixes: [
            { ...near('Saddar', 900), accuracyM: 300, ts: Date.now() - 1_000 },
            { ...near('Saddar', 200), heading: 270, accuracyM: 8, ts: Date.now() },
          ],
        }),
      },
      expectStatus: 202,
      expectBody: { accepted: 1, skipped: 1, applied: true },
    },
    { say: 'Ayesha sees him closer still', actor: 'ayesha', expectFrame: 'driver.location', where: { driverId: '$kamran.id', lat: near('Saddar', 200).lat } },
    {
      say: 'A batch that arrives late (taken before what the server has) is skipped',
      actor: 'kamran',
      http: { method: 'POST', service: 'realtime', path: '/api/locations', body: () => ({ fixes: [{ ...near('Saddar', 800), ts: Date.now() - 60_000 }] }) },
      expectStatus: 202,
      expectBody: { accepted: 0, skipped: 1, applied: false },
    },
    { say: 'Kamran is back in the app: his ride is still his', actor: 'kamran', reconnect: true, expectSession: { activeRide: { id: '$rideId', status: 'assigned' } } },
    { actor: 'kamran', send: 'ride.arrived', data: { rideId: '$rideId' } },
    { actor: 'ayesha', expectFrame: 'ride.status', where: { rideId: '$rideId', status: 'arrived' } },
    { actor: 'kamran', send: 'ride.start', data: { rideId: '$rideId' } },
    { say: 'Kamran completes the ride', actor: 'kamran', send: 'ride.complete', data: { rideId: '$rideId' }, ackMatches: { ride: { status: 'completed' } } },
  ],
});
