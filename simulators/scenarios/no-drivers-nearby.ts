import { moveM } from '@drivrr/shared';
import { customer, driver, near, place, scenario } from '../src/scenario/dsl.js';
import { HYDERABAD } from '../src/sim/places.js';

const pickup = place('Hyderabad');
const dropoff = { ...moveM(HYDERABAD, 45, 3000), address: 'Latifabad, Hyderabad' };
/** Longer than this, the scenario does not wait for the request to expire (the stack's REQUEST_TTL_MS is too long). */
const MAX_EXPIRY_WAIT_MS = 30_000;

export default scenario({
  name: 'no-drivers-nearby',
  title: 'No driver near the pickup: nobody is offered the ride',
  description:
    "Rabia asks for a ride in Hyderabad, 150 km from the only driver (in Karachi): he is never offered it and no bid comes; she " +
    'cancels cleanly. Her second request expires on its own (awaited only when the stack runs with REQUEST_TTL_MS <= 30 s).',
  requires: 'the expiry step runs when REQUEST_TTL_MS <= 30000 (e.g. REQUEST_TTL_MS=8000); otherwise it is skipped',
  actors: { rabia: customer('Rabia Malik'), tariq: driver('Tariq Soomro', 0) },
  steps: [
    { say: 'Tariq is online in Saddar, Karachi', actor: 'tariq', send: 'driver.online', data: near('Saddar', 200) },
    {
      say: 'Rabia asks for a ride in Hyderabad',
      actor: 'rabia',
      send: 'ride.request',
      data: { pickup, dropoff, fare: 60_000, paymentMethod: 'cash' },
      save: { rideId: 'rideId' },
    },
    { say: 'Tariq, 150 km away, is not offered it', actor: 'tariq', expectNoFrame: 'ride.requested', where: { ride: { id: '$rideId' } }, during: 2000 },
    { say: 'No bid reaches Rabia', actor: 'rabia', expectNoFrame: 'bid.received', where: { rideId: '$rideId' }, during: 10 },
    { say: 'Rabia gives up and cancels', actor: 'rabia', send: 'ride.cancel', data: { rideId: '$rideId', reason: 'No drivers around' }, ackMatches: { ride: { status: 'cancelled', cancelledBy: 'customer' } } },
    {
      say: 'Her history shows the request cancelled by her, with no bids',
      actor: 'rabia',
      http: { method: 'GET', path: '/api/rides/$rideId' },
      expectStatus: 200,
      expectBody: { status: 'cancelled', cancelledBy: 'customer', cancelReason: 'No drivers around', bids: { $len: 0 } },
    },
    {
      say: 'Rabia tries once more',
      actor: 'rabia',
      send: 'ride.request',
      data: { pickup, dropoff, fare: 60_000, paymentMethod: 'cash' },
      save: { secondRideId: 'rideId', expiresAt: 'ride.expiresAt' },
    },
    { let: { expiresInMs: (v) => Date.parse(String(v.expiresAt)) - Date.now() } },
    {
      say: 'Nobody answers; the request expires after the stack’s request TTL',
      actor: 'rabia',
      expectFrame: 'ride.expired',
      where: { rideId: '$secondRideId' },
      within: (v) => Number(v.expiresInMs) + 5000,
      skipIf: (v) => (Number(v.expiresInMs) > MAX_EXPIRY_WAIT_MS ? `the request expires in ${Math.round(Number(v.expiresInMs) / 1000)} s; run the stack with REQUEST_TTL_MS=8000 to see it expire` : false),
    },
    {
      say: 'Her history shows it expired',
      actor: 'rabia',
      http: { method: 'GET', path: '/api/rides/$secondRideId' },
      expectStatus: 200,
      expectBody: { status: 'expired', events: { $some: { type: 'expired', actorRole: 'system' } } },
      skipIf: (v) => (Number(v.expiresInMs) > MAX_EXPIRY_WAIT_MS ? 'the request has not expired yet (long REQUEST_TTL_MS)' : false),
    },
  ],
});
