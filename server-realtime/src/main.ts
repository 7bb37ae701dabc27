#!/usr/bin/env node
/** Process entry point: `node server-realtime/dist/main.js`. */
import { createLogger } from '@drivrr/shared/logger';
import { runService } from '@drivrr/shared/service';
import { loadRealtimeConfig } from './config.js';
import { startRealtimeServer } from './server.js';

await runService('realtime', () => {
  const config = loadRealtimeConfig();
  const logger = createLogger('realtime', config.logLevel);
  return { logger, started: startRealtimeServer(config, { logger }) };
});
