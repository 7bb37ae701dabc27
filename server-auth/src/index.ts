export { loadAuthConfig, type AuthConfig } from './config.js';
export { startAuthServer, AUTH_VERSION, type AuthServer } from './server.js';
