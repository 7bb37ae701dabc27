#!/usr/bin/env node
/** Process entry point: `node server-realtime/dist/main.js`. */
import { ConfigError } from '@drivrr/shared';
import { createLogger } from '@drivrr/shared/logger';
import { exitOnSignals } from '@drivrr/shared/service';
import { loadRealtimeConfig } from './config.js';
import { startRealtimeServer } from './server.js';

try {
  const config = loadRealtimeConfig();
  const logger = createLogger('realtime', config.logLevel);
  const server = await startRealtimeServer(config, { logger });
  exitOnSignals(() => server.stop(), logger);
} catch (error) {
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`drivrr realtime: ${message}\n`);
  process.exit(1);
}
