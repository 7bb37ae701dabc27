import { customer, driver, near, place, scenario } from '../src/scenario/dsl.js';
import { askPrice } from './common.js';

export default scenario({
  name: 'chat-at-pickup',
  title: 'Driver and customer chat at the pickup',
  description:
    'Kashif reaches the pickup and writes "I\'m at the gate"; Hina answers "2 minutes". His app re-sends the same message ' +
    '(same message id) and nothing is stored twice. Hina reconnects and finds the chat in her session; after the ride the ' +
    'history still has both messages, oldest first, and the chat is closed.',
  actors: { hina: customer('Hina Baloch'), kashif: driver('Kashif Ali', 1) },
  steps: [
    { say: 'Kashif waits near Tariq Road', actor: 'kashif', send: 'driver.online', data: near('Tariq Road', 300) },
    askPrice('hina', 'Tariq Road', 'Saddar'),
    { say: 'Hina asks for a ride at {{suggested|money}}', actor: 'hina', send: 'ride.request', data: { pickup: place('Tariq Road'), dropoff: place('Saddar'), fare: '$suggested', paymentMethod: 'cash' }, save: { rideId: 'rideId' } },
    { actor: 'kashif', expectFrame: 'ride.requested', where: { ride: { id: '$rideId' } } },
    { say: 'Kashif bids', actor: 'kashif', send: 'bid.place', data: { rideId: '$rideId', fare: '$suggested' }, save: { bidId: 'bid.id' } },
    { actor: 'hina', expectFrame: 'bid.received', where: { bid: { id: '$bidId' } } },
    { say: 'Hina accepts', actor: 'hina', send: 'bid.accept', data: { rideId: '$rideId', bidId: '$bidId' } },
    { actor: 'kashif', expectFrame: 'ride.assigned', where: { ride: { id: '$rideId' } } },
    { say: 'Kashif arrives at the pickup', actor: 'kashif', send: 'ride.arrived', data: { rideId: '$rideId' } },
    {
      say: 'Kashif writes "I\'m at the gate"',
      actor: 'kashif',
      send: 'chat.send',
      id: 'gate-1',
      data: { rideId: '$rideId', text: "I'm at the gate" },
      ackMatches: { messageId: { $exists: true }, sentAt: { $exists: true } },
      save: { gateId: 'messageId' },
    },
    { say: 'Hina reads it', actor: 'hina', expectFrame: 'chat.message', where: { rideId: '$rideId', messageId: '$gateId', from: 'driver', text: "I'm at the gate" } },
    { say: 'Hina answers "2 minutes"', actor: 'hina', send: 'chat.send', data: { rideId: '$rideId', text: '2 minutes' }, save: { replyId: 'messageId' } },
    { say: 'Kashif reads her answer', actor: 'kashif', expectFrame: 'chat.message', where: { messageId: '$replyId', from: 'customer', text: '2 minutes' } },
    {
      say: "Kashif's app, unsure the message went out, sends it again with the same id: the same message answers",
      actor: 'kashif',
      send: 'chat.send',
      id: 'gate-1',
      data: { rideId: '$rideId', text: "I'm at the gate" },
      ackMatches: { messageId: '$gateId' },
    },
    { say: 'Hina does not get it twice', actor: 'hina', expectNoFrame: 'chat.message', during: 500 },
    { say: 'Hina drops off the network in the lift', actor: 'hina', drop: true },
    {
      say: 'Back online, her session carries the chat',
      actor: 'hina',
      reconnect: true,
      expectSession: { activeRide: { id: '$rideId', status: 'arrived', messages: [{ messageId: '$gateId', from: 'driver' }, { messageId: '$replyId', from: 'customer' }] } },
    },
    { say: 'Hina gets in; the trip starts and ends', actor: 'kashif', send: 'ride.start', data: { rideId: '$rideId' } },
    { actor: 'kashif', send: 'ride.complete', data: { rideId: '$rideId' } },
    { say: 'After the ride the chat is closed', actor: 'hina', send: 'chat.send', data: { rideId: '$rideId', text: 'Thanks!' }, expect: { error: 'forbidden' } },
    {
      say: 'Her history has both messages, oldest first',
      actor: 'hina',
      http: { method: 'GET', path: '/api/rides/$rideId/messages' },
      expectStatus: 200,
      expectBody: { items: [{ messageId: '$gateId', from: 'driver', text: "I'm at the gate" }, { messageId: '$replyId', from: 'customer', text: '2 minutes' }] },
    },
  ],
});
