export { loadRealtimeConfig, type RealtimeConfig, type WsConfig } from './config.js';
export { startRealtimeServer, REALTIME_VERSION, type RealtimeServer, type RealtimeServerOptions } from './server.js';
export { realtimeModules, type FeatureModuleDeps, type RealtimeModuleFactory } from './modules.js';
export type * from './ws/contracts.js';
export { SystemClock, VirtualClock, type Clock, type RideClock, type Scheduler } from './rides/clock.js';
export type { Clock as SessionClock } from './ws/clock.js';
export { deleteKeysWithPrefix } from './cluster/redis.js';
