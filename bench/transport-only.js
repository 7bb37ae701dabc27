#!/usr/bin/env node
/**
 * Diagnosis variant for `--systems transport`: the realtime service with no feature module wired
 * (no rides, no ops), to tell the transport's cost from the modules'. Same env as the service.
 */
import { loadRealtimeConfig, startRealtimeServer } from '../server-realtime/dist/index.js';
import { createLogger } from '../shared/dist/logger.js';

const config = loadRealtimeConfig();
const server = await startRealtimeServer(config, { logger: createLogger('realtime', config.logLevel), modules: [] });
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
