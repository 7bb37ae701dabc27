#!/usr/bin/env node
/**
 * The validating relay: the bare `ws` relay (bench/baseline-relay.js) plus the work the contract
 * requires of ANY server for one fix, and nothing else: the frame is parsed and validated with the
 * shared protocol (`parseClientFrame`, the service's own function) and a `driver.location` frame is
 * serialized with the service's own `locationFrame`. No authentication, no presence index, no
 * follows, no backpressure, no metrics. It tells how much of the service's cost per fix is the
 * protocol itself and how much is the service around it (docs/performance.md).
 * Usage: node bench/validating-relay.js PORT
 */
import { parseClientFrame } from '@drivrr/shared/protocol';
import { locationFrame } from '../server-realtime/dist/presence/follows.js';
import { startRelay } from './relay-server.js';

startRelay(Number(process.argv[2] ?? 8099), (pair, customerOf) => {
  // A stand-in driver id of the right shape (the service's come from verified tokens).
  const driverId = `00000000-0000-4000-8000-${String(pair).padStart(12, '0')}`;
  return (data) => {
    const parsed = parseClientFrame(data);
    if (!parsed.ok || parsed.message.type !== 'location.update') return;
    const fix = parsed.message.data;
    const info = { driverId, location: { lat: fix.lat, lng: fix.lng }, heading: fix.heading ?? null, activity: 'idle', updatedAt: Date.now() };
    customerOf()?.send(locationFrame(info, fix.ts ?? info.updatedAt));
  };
});
