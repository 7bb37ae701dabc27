export { loadRealtimeConfig, type RealtimeConfig } from './config.js';
export { startRealtimeServer, REALTIME_VERSION, type RealtimeServer } from './server.js';
