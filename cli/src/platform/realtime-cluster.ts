#!/usr/bin/env node
/**
 * The primary of `drivrr up --realtime-workers N`: `node realtime-cluster.js --workers N` forks N
 * realtime nodes (the service's own dist/main.js) that share one listening port through
 * node:cluster. Each worker gets this process's environment (REDIS_URL, REDIS_PREFIX, ...) and a
 * node id of its own from the service. The primary itself serves nothing:
 *
 * - a worker that dies before any worker has listened is a start-up failure (bad config, port in
 *   use): the others are stopped and the primary exits 1, the worker's one-line error already on
 *   stderr for `drivrr up` to show;
 * - after that, a worker that dies is logged and replaced (a new process, hence a new node id: a
 *   reused id would adopt the dead node's drivers in the registry instead of letting them go
 *   through the reconnect grace); crashes in a row back off up to 30 s so a crash loop does not
 *   spin the CPU;
 * - SIGTERM or SIGINT: every worker gets SIGTERM and drains like a single service does; after
 *   STOP_GRACE_MS the stragglers get SIGKILL; then the primary exits 0.
 *
 * A primary killed hard takes its workers with it (node:cluster workers exit when their IPC
 * channel to the primary closes).
 */
import cluster, { type Worker } from 'node:cluster';
import { createLogger } from '@drivrr/shared/logger';
import { parseWorkerCount } from './options.js';
import { serviceEntry } from './stack.js';

const STOP_GRACE_MS = 15_000;
/** A worker that lived at least this long before dying is not part of a crash loop. */
const STABLE_AFTER_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;

function workerCountFromArgs(argv: string[]): number {
  const index = argv.indexOf('--workers');
  const value = index >= 0 ? argv[index + 1] : undefined;
  if (value === undefined) {
    process.stderr.write('drivrr realtime: usage: realtime-cluster.js --workers N\n');
    process.exit(2);
  }
  try {
    return parseWorkerCount(value);
  } catch (error) {
    process.stderr.write(`drivrr realtime: --workers: ${(error as Error).message}\n`);
    process.exit(2);
  }
}

const workerCount = workerCountFromArgs(process.argv.slice(2));
const logger = createLogger('realtime', process.env.LOG_LEVEL || 'info').child({ component: 'cluster-primary' });

cluster.setupPrimary({ exec: serviceEntry('realtime'), args: [] });

let stopping = false;
let anyListening = false;
let quickCrashesInARow = 0;
const startedAt = new Map<Worker, number>();

function fork(slot: number): void {
  const worker = cluster.fork();
  startedAt.set(worker, Date.now());
  worker.once('listening', () => {
    anyListening = true;
    logger.info({ slot, workerPid: worker.process.pid }, 'realtime worker listening');
  });
  worker.once('exit', (code, signal) => {
    const livedMs = Date.now() - (startedAt.get(worker) ?? Date.now());
    startedAt.delete(worker);
    if (stopping) return;
    if (!anyListening) {
      // the worker already wrote why on stderr; running more copies of a bad config helps nobody
      logger.error({ slot, workerPid: worker.process.pid, code, signal }, 'a realtime worker failed to start: stopping');
      void stopAll(1);
      return;
    }
    quickCrashesInARow = livedMs >= STABLE_AFTER_MS ? 0 : quickCrashesInARow + 1;
    const delayMs = quickCrashesInARow === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** (quickCrashesInARow - 1));
    logger.error({ slot, workerPid: worker.process.pid, code, signal, livedMs, restartInMs: delayMs }, 'a realtime worker died: starting a new one');
    setTimeout(() => {
      if (!stopping) fork(slot);
    }, delayMs);
  });
}

async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  const exited = workers.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
  for (const w of workers) w.process.kill('SIGTERM');
  const killer = setTimeout(() => {
    for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
  }, STOP_GRACE_MS);
  await Promise.all(exited);
  clearTimeout(killer);
  logger.info({ workers: workers.length }, 'realtime workers stopped');
  process.exit(exitCode);
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    logger.info({ signal }, 'stopping the realtime workers');
    void stopAll(0);
  });
}

logger.info({ workers: workerCount, redisPrefix: process.env.REDIS_PREFIX }, 'starting realtime workers');
for (let slot = 1; slot <= workerCount; slot += 1) fork(slot);
