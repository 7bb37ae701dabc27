#!/usr/bin/env node
/**
 * The bare `ws` relay baseline: the least work a location relay can do. No authentication, no
 * parsing, no validation, no presence: a customer connects as `/ws?pair=N&role=customer`, a driver
 * as `/ws?pair=N&role=driver`, and every frame of driver N is sent as-is to customer N.
 * Usage: node bench/baseline-relay.js PORT
 */
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 8099);
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
  ws.on('message', (data) => customers.get(pair)?.send(data, { binary: false }));
});
wss.on('listening', () => process.send?.({ type: 'listening', port }));
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
