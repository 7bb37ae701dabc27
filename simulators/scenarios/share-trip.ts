import { customer, driver, near, place, scenario } from '../src/scenario/dsl.js';
import { askPrice } from './common.js';

export default scenario({
  name: 'share-trip',
  title: 'The customer shares the trip with her family',
  description:
    'Mariam shares her ride home: POST /api/rides/:id/share gives a link on the realtime service. Her brother opens it ' +
    'with no account: it shows the pickup, the dropoff and Faisal with his car, following him as he moves. Once the ' +
    'trip is over the link answers 410 link_expired. Only Mariam may share her ride.',
  actors: { mariam: customer('Mariam Qureshi'), faisal: driver('Faisal Khan', 5) },
  steps: [
    { say: 'Faisal waits near Tariq Road', actor: 'faisal', send: 'driver.online', data: near('Tariq Road', 500) },
    askPrice('mariam', 'Tariq Road', 'Gulshan-e-Iqbal'),
    { say: 'Mariam asks for a ride home', actor: 'mariam', send: 'ride.request', data: { pickup: place('Tariq Road'), dropoff: place('Gulshan-e-Iqbal'), fare: '$suggested', paymentMethod: 'cash' }, save: { rideId: 'rideId' } },
    { actor: 'faisal', expectFrame: 'ride.requested', where: { ride: { id: '$rideId' } } },
    { actor: 'faisal', send: 'bid.place', data: { rideId: '$rideId', fare: '$suggested' }, save: { bidId: 'bid.id' } },
    { actor: 'mariam', expectFrame: 'bid.received', where: { bid: { id: '$bidId' } } },
    { say: 'Mariam accepts Faisal', actor: 'mariam', send: 'bid.accept', data: { rideId: '$rideId', bidId: '$bidId' } },
    { actor: 'faisal', expectFrame: 'ride.assigned', where: { ride: { id: '$rideId' } } },
    {
      say: 'Faisal cannot share Mariam’s trip',
      actor: 'faisal',
      http: { method: 'POST', path: '/api/rides/$rideId/share' },
      expectStatus: 403,
      expectBody: { error: { code: 'forbidden' } },
    },
    {
      say: 'Mariam shares the trip: a link to send her brother',
      actor: 'mariam',
      http: { method: 'POST', path: '/api/rides/$rideId/share' },
      expectStatus: 201,
      expectBody: { url: { $exists: true }, token: { $exists: true }, expiresAt: { $exists: true } },
      save: { link: '.' },
    },
    {
      say: 'The link is the realtime service’s track page for that token',
      check: (vars) => {
        const link = vars.link as { url: string; token: string };
        return link.url.endsWith(`/track/${link.token}`) || `the url ${link.url} does not end in /track/${link.token}`;
      },
    },
    { say: 'Faisal reports where he is', actor: 'faisal', send: 'location.update', data: { ...near('Tariq Road', 250), heading: 90 } },
    {
      say: 'Her brother opens the link, with no account: the ride, and Faisal with his car',
      actor: 'mariam',
      http: { method: 'GET', service: 'realtime', anonymous: true, path: '/api/track/$link.token' },
      expectStatus: 200,
      expectBody: {
        ride: { status: 'assigned', vehicleType: 'car', pickup: place('Tariq Road'), dropoff: place('Gulshan-e-Iqbal') },
        driver: { name: 'Faisal Khan', vehicle: { make: 'Honda', model: 'City' }, lat: near('Tariq Road', 250).lat },
      },
      // Faisal's fix may be on another node: its shared index is up to CLUSTER_PRESENCE_FLUSH_MS late.
      within: 2_000,
    },
    { say: 'Faisal arrives and drives Mariam home', actor: 'faisal', send: 'ride.arrived', data: { rideId: '$rideId' } },
    { actor: 'faisal', send: 'ride.start', data: { rideId: '$rideId' } },
    { actor: 'faisal', send: 'location.update', data: { ...near('Gulshan-e-Iqbal', 1_500), heading: 45 } },
    {
      say: 'The link follows the trip',
      actor: 'mariam',
      http: { method: 'GET', service: 'realtime', anonymous: true, path: '/api/track/$link.token' },
      expectStatus: 200,
      expectBody: { ride: { status: 'in_progress' }, driver: { lat: near('Gulshan-e-Iqbal', 1_500).lat } },
      within: 2_000,
    },
    { actor: 'faisal', send: 'ride.complete', data: { rideId: '$rideId' }, ackMatches: { ride: { status: 'completed' } } },
    {
      say: 'Mariam is home: the link shows nothing any more',
      actor: 'mariam',
      http: { method: 'GET', service: 'realtime', anonymous: true, path: '/api/track/$link.token' },
      expectStatus: 410,
      expectBody: { error: { code: 'link_expired' } },
    },
  ],
});
