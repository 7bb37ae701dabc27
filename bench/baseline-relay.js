#!/usr/bin/env node
/**
 * The bare `ws` relay baseline: the least work a location relay can do. No authentication, no
 * parsing, no validation, no presence: every frame of driver N is sent as-is to customer N.
 * Usage: node bench/baseline-relay.js PORT
 */
import { startRelay } from './relay-server.js';

startRelay(Number(process.argv[2] ?? 8099), (pair, customerOf) => (data) => customerOf()?.send(data, { binary: false }));
