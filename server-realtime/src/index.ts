export { loadRealtimeConfig, type RealtimeConfig, type WsConfig } from './config.js';
export { startRealtimeServer, REALTIME_VERSION, type RealtimeServer, type RealtimeServerOptions } from './server.js';
export { realtimeModules, type FeatureModuleDeps, type RealtimeModuleFactory } from './modules.js';
export type * from './ws/contracts.js';
export type { Clock } from './ws/clock.js';
