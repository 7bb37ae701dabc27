#!/usr/bin/env node
/** Process entry point: `node server-auth/dist/main.js`. */
import { ConfigError } from '@drivrr/shared';
import { createLogger } from '@drivrr/shared/logger';
import { exitOnSignals } from '@drivrr/shared/service';
import { loadAuthConfig } from './config.js';
import { startAuthServer } from './server.js';

try {
  const config = loadAuthConfig();
  const logger = createLogger('auth', config.logLevel);
  const server = await startAuthServer(config, { logger });
  exitOnSignals(() => server.stop(), logger);
} catch (error) {
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`drivrr auth: ${message}\n`);
  process.exit(1);
}
