#!/usr/bin/env node
/** Process entry point: `node server-auth/dist/main.js`. */
import { createLogger } from '@drivrr/shared/logger';
import { runService } from '@drivrr/shared/service';
import { loadAuthConfig } from './config.js';
import { startAuthServer } from './server.js';

await runService('auth', () => {
  const config = loadAuthConfig();
  const logger = createLogger('auth', config.logLevel);
  return { logger, started: startAuthServer(config, { logger }) };
});
