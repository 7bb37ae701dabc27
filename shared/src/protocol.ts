export * from './protocol/common.js';
export * from './protocol/entities.js';
export * from './protocol/http.js';
export * from './protocol/ws.js';
export * from './protocol/acks.js';
export * from './protocol/background.js';
