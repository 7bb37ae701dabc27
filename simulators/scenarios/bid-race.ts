import { customer, driver, near, place, scenario, type Step } from '../src/scenario/dsl.js';
import { askPrice } from './common.js';

const DRIVERS = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'] as const;
/** Maryam asks for a car (the default): her request is offered to car drivers only. */
const CAR_VEHICLES = [0, 1, 4, 5, 0, 1];
const NAMES = ['Ali Khan', 'Hamza Shah', 'Waqas Ansari', 'Rizwan Jatoi', 'Shahid Hussain', 'Nadeem Raza'];

export default scenario({
  name: 'bid-race',
  title: 'Six drivers bid at once; exactly one wins',
  description:
    'Six drivers around Cantt Station bid on Maryam’s request at the same moment; she taps "accept" on two bids at once ' +
    '(and repeats the winning tap): exactly one accept wins, the winner is assigned, every other driver is told the ride ' +
    'was taken, and the database holds one accepted bid and five rejected ones.',
  actors: {
    maryam: customer('Maryam Ahmed'),
    ...Object.fromEntries(DRIVERS.map((id, i) => [id, driver(NAMES[i]!, CAR_VEHICLES[i]!)])),
  },
  steps: [
    {
      say: 'Six drivers wait around Cantt Station',
      parallel: DRIVERS.map((id, i): Step => ({ actor: id, send: 'driver.online', data: near('Cantt Station', 200 + i * 150, i * 60) })),
    },
    askPrice('maryam', 'Cantt Station', 'Dolmen Mall Clifton'),
    {
      say: 'Maryam asks for a ride at {{suggested|money}}',
      actor: 'maryam',
      send: 'ride.request',
      data: { pickup: place('Cantt Station'), dropoff: place('Dolmen Mall Clifton'), fare: '$suggested', paymentMethod: 'cash' },
      save: { rideId: 'rideId' },
    },
    {
      say: 'All six are offered the ride (the search widens if the first batch is smaller)',
      parallel: DRIVERS.map((id): Step => ({ actor: id, expectFrame: 'ride.requested', where: { ride: { id: '$rideId' } }, within: 25_000 })),
    },
    {
      say: 'All six bid at the same moment, each a little higher',
      parallel: DRIVERS.map((id, i): Step => ({
        actor: id,
        send: 'bid.place',
        data: (v) => ({ rideId: v.rideId, fare: Number(v.suggested) + i * 1000 }),
        save: { [`${id}Bid`]: 'bid.id' },
      })),
    },
    {
      say: 'Maryam receives six bids',
      parallel: DRIVERS.map((id): Step => ({ actor: 'maryam', expectFrame: 'bid.received', where: { bid: { id: `$${id}Bid` } } })),
    },
    {
      say: 'Maryam taps accept on the two cheapest bids at once: exactly one wins',
      race: [
        { step: { actor: 'maryam', send: 'bid.accept', data: { rideId: '$rideId', bidId: '$d1Bid' } }, onWin: { winner: 'd1', loser: 'd2' } },
        { step: { actor: 'maryam', send: 'bid.accept', data: { rideId: '$rideId', bidId: '$d2Bid' } }, onWin: { winner: 'd2', loser: 'd1' } },
      ],
      winners: 1,
      loserErrors: ['ride_not_open', 'bid_expired', 'invalid_transition'],
    },
    { let: { winnerBid: (v) => v[`${String(v.winner)}Bid`] } },
    {
      say: 'Her repeated tap on the winning bid is harmless: the same assignment comes back',
      actor: 'maryam',
      send: 'bid.accept',
      data: { rideId: '$rideId', bidId: '$winnerBid' },
      ackMatches: { ride: { status: 'assigned', driverId: (id: unknown, v: Record<string, unknown>) => id === (v[String(v.winner)] as { id: string }).id || 'not the winner' } },
    },
    { say: 'The winner is assigned', actor: '$winner', expectFrame: 'ride.assigned', where: { ride: { id: '$rideId', status: 'assigned' } } },
    { say: 'The losing tap’s driver is told the ride was taken', actor: '$loser', expectFrame: 'ride.withdrawn', where: { rideId: '$rideId', reason: 'taken' } },
    {
      say: 'The other four are told too',
      parallel: DRIVERS.slice(2).map((id): Step => ({ actor: id, expectFrame: 'ride.withdrawn', where: { rideId: '$rideId', reason: 'taken' } })),
    },
    { say: 'A late bid is refused', actor: 'd6', send: 'bid.place', data: (v) => ({ rideId: v.rideId, fare: Number(v.suggested) + 9000 }), expect: { error: ['ride_not_open', 'already_bid'] } },
    {
      say: 'In the database: one accepted bid, five rejected',
      actor: 'maryam',
      http: { method: 'GET', path: '/api/rides/$rideId' },
      expectStatus: 200,
      expectBody: {
        status: 'assigned',
        bids: { $len: 6, $count: [{ status: 'accepted' }, 1] },
        events: { $count: [{ type: 'assigned' }, 1] },
      },
    },
    { actor: 'maryam', http: { method: 'GET', path: '/api/rides/$rideId' }, expectStatus: 200, expectBody: { bids: { $count: [{ status: 'rejected' }, 5] } } },
    { say: 'Maryam lets the winner go (cancels)', actor: 'maryam', send: 'ride.cancel', data: { rideId: '$rideId', reason: 'Demo over' } },
  ],
});
