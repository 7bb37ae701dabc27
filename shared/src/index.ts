export * from './errors.js';
export * from './config.js';
export * from './geo.js';
export * from './tokens.js';
export * from './service.js';
