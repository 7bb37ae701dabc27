/**
 * The scaffolding of the bench's reference relays (baseline-relay.js, validating-relay.js): a `ws`
 * server on 127.0.0.1 where a customer connects as `/ws?pair=N&role=customer` and a driver as
 * `/ws?pair=N&role=driver`, with no authentication. `relayOf(pair, customerOf)` returns what a
 * driver's frame becomes: a function that sends it on to its customer (`customerOf()`, absent
 * while the customer is not connected).
 */
import { WebSocketServer } from 'ws';

export function startRelay(port, relayOf) {
  const customers = new Map();
  const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false, clientTracking: false });
  wss.on('connection', (ws, req) => {
    const params = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const pair = params.get('pair');
    ws.on('error', () => {});
    if (params.get('role') === 'customer') {
      customers.set(pair, ws);
      ws.on('close', () => customers.delete(pair));
      return;
    }
    ws.on('message', relayOf(pair, () => customers.get(pair)));
  });
  wss.on('listening', () => process.send?.({ type: 'listening', port }));
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
}
