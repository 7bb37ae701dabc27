import { customer, driver, near, place, scenario, type Vars } from '../src/scenario/dsl.js';
import { askPrice } from './common.js';

const trip = { pickup: place('Saddar'), dropoff: place('Clifton') };

export default scenario({
  name: 'bike-ride',
  title: 'A bike request is offered to bike drivers only',
  description:
    'Sara asks for a bike from Saddar to Clifton (cheaper than a car). A car and a rickshaw wait closer to her than Bilal on his ' +
    'Honda CD 70, yet only Bilal is offered the request; his bid, the ride and the history all say bike.',
  actors: {
    sara: customer('Sara Hussain'),
    ali: driver('Ali Raza', 0),
    rehan: driver('Rehan Jatoi', 3),
    bilal: driver('Bilal Memon', 2),
  },
  steps: [
    {
      say: 'A car 150 m and a rickshaw 250 m from Saddar, and a bike 700 m away, go online',
      parallel: [
        { actor: 'ali', send: 'driver.online', data: near('Saddar', 150) },
        { actor: 'rehan', send: 'driver.online', data: near('Saddar', 250, 180) },
        { actor: 'bilal', send: 'driver.online', data: near('Saddar', 700, 270) },
      ],
    },
    askPrice('sara', 'Saddar', 'Clifton', 'Sara checks the car price from Saddar to Clifton: {{suggested|money}}'),
    {
      say: 'and the bike price of the same trip, which is lower',
      actor: 'sara',
      send: 'ride.request',
      data: { ...trip, fare: 100, paymentMethod: 'cash', vehicleType: 'bike' },
      expect: { error: 'fare_below_minimum' },
      ackMatches: { suggestedFare: (fare: unknown, vars: Vars) => (Number(fare) < Number(vars.suggested) ? true : `a bike should cost less than a car (${String(vars.suggested)})`) },
      save: { bikeFare: 'suggestedFare' },
    },
    {
      say: 'Sara asks for a bike at {{bikeFare|money}}',
      actor: 'sara',
      send: 'ride.request',
      data: { ...trip, fare: '$bikeFare', paymentMethod: 'cash', vehicleType: 'bike' },
      ackMatches: { ride: { status: 'requested', vehicleType: 'bike' }, estimate: { suggestedFare: '$bikeFare' } },
      save: { rideId: 'rideId' },
    },
    { say: 'Bilal, on a bike, is offered it', actor: 'bilal', expectFrame: 'ride.requested', where: { ride: { id: '$rideId', vehicleType: 'bike' } } },
    {
      say: 'The car and the rickshaw, though nearer, are not',
      parallel: [
        { actor: 'ali', expectNoFrame: 'ride.requested', where: { ride: { id: '$rideId' } }, during: 2000 },
        { actor: 'rehan', expectNoFrame: 'ride.requested', where: { ride: { id: '$rideId' } }, during: 2000 },
      ],
    },
    { say: 'Bilal bids the asked fare', actor: 'bilal', send: 'bid.place', data: { rideId: '$rideId', fare: '$bikeFare' }, save: { bidId: 'bid.id' } },
    {
      say: "Sara sees Bilal's bid, for a bike",
      actor: 'sara',
      expectFrame: 'bid.received',
      where: { rideId: '$rideId', vehicleType: 'bike', bid: { id: '$bidId', driver: { name: 'Bilal Memon', vehicle: { type: 'bike', model: 'CD 70' } } } },
    },
    { say: 'Sara accepts', actor: 'sara', send: 'bid.accept', data: { rideId: '$rideId', bidId: '$bidId' }, ackMatches: { ride: { status: 'assigned', vehicleType: 'bike' } } },
    { actor: 'bilal', expectFrame: 'ride.assigned', where: { ride: { id: '$rideId', vehicleType: 'bike' } } },
    { say: 'Bilal picks Sara up and drops her off', actor: 'bilal', send: 'ride.arrived', data: { rideId: '$rideId' } },
    { actor: 'bilal', send: 'ride.start', data: { rideId: '$rideId' } },
    { actor: 'bilal', send: 'ride.complete', data: { rideId: '$rideId' }, ackMatches: { ride: { status: 'completed', agreedFare: '$bikeFare' } } },
    {
      say: 'Her history shows a bike ride with Bilal',
      actor: 'sara',
      http: { method: 'GET', path: '/api/rides/$rideId' },
      expectStatus: 200,
      expectBody: { status: 'completed', vehicleType: 'bike', driver: { id: '$bilal.id', vehicle: { type: 'bike' } } },
    },
  ],
});
