/**
 * Simulated drivers and customers that speak only the public protocol (OTP login over HTTP,
 * real tokens, WebSockets with `Authorization: Bearer`), fleets of them, and scripted scenarios.
 * Library functions only: the `drivrr simulate` and `drivrr scenario` commands are thin layers.
 */
export * from './client/api.js';
export * from './client/protocol-client.js';
export { HandshakeRefused } from './client/transport.js';
export * from './sim/rng.js';
export * from './sim/movement.js';
export * from './sim/places.js';
export * from './sim/strategies.js';
export * from './sim/identity.js';
export * from './sim/vehicle-mix.js';
export * from './fleet/scheduler.js';
export * from './fleet/stats.js';
export * from './fleet/fleet.js';
export { SimDriver } from './fleet/driver.js';
export { SimCustomer } from './fleet/customer.js';
export * from './scenario/dsl.js';
export * from './scenario/runner.js';
export { SCENARIOS, findScenario } from '../scenarios/index.js';
