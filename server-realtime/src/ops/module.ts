/**
 * The operator channel of the live operations map. Operators (role `operator`, from the token)
 * send `ops.subscribe` and then receive `ops.snapshot` frames: drivers from presence, requests,
 * rides and counters from the database. Read-only: operators can subscribe and read a ride's
 * timeline (`ops.ride`), nothing else. Fixes and database changes only mark the picture dirty;
 * snapshots leave at a fixed pace (OPS_SNAPSHOT_MS), so the rate does not grow with the fleet.
 * The module also contributes the `/ops` page (static files) to the HTTP server.
 */
import { AppError } from '@drivrr/shared';
import type { Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import type { OpsDriver, OpsRideAck, OpsSnapshot, OpsSubscribeAck } from '@drivrr/shared/protocol';
import { getRideDetail } from '@drivrr/store/rides-read';
import { emptyRidesByStatus, readOpsBoard, type OpsBoard } from '../db/ops.js';
import type { Caller, RealtimeModule, RealtimeModuleDeps } from '../ws/contracts.js';
import { DEFAULT_OPS_CONFIG, type OpsConfig } from './config.js';
import { SnapshotPacer } from './pacer.js';
import { boardFingerprint, buildOpsSnapshot, deltaSnapshot, driversById } from './snapshot.js';
import { createOpsStaticHandler, defaultOpsMapDir, type HttpRouteHandler } from './static-files.js';

export interface OpsModuleDeps extends RealtimeModuleDeps {
  pool: Pool;
  config: { ops?: OpsConfig };
  logger: Logger;
}

export interface OpsModule extends RealtimeModule {
  /** Serves `/ops` and its assets; returns false for other paths. */
  httpHandler: HttpRouteHandler;
  /** For tests and metrics: operators currently subscribed, snapshots skipped for slow sockets. */
  subscriberCount(): number;
  skippedSnapshots(): number;
}

/** A quiet picture is still re-sent this often, so the page can show the link is alive. */
const KEEPALIVE_MS = 2_000;
/** Every this many snapshots everyone gets a whole one, whatever happened before. */
const KEYFRAME_EVERY = 40;
/** An operator's socket with more than this still queued skips a snapshot. */
export const SKIP_WHEN_QUEUED_BYTES = 256 * 1024;

function requireOperator(caller: Caller): void {
  if (caller.role !== 'operator') throw new AppError('forbidden', 'only operators may use the ops channel');
}

export function createOpsModule(deps: OpsModuleDeps): OpsModule {
  const config = deps.config.ops ?? DEFAULT_OPS_CONFIG;
  const logger = deps.logger.child({ module: 'ops' });
  /** Subscribed operators and the seq of the last snapshot each was sent (-1: none yet). */
  const subscribers = new Map<string, number>();
  let previousDrivers = new Map<string, OpsDriver>();
  const pacer = new SnapshotPacer({ intervalMs: config.snapshotIntervalMs, keepaliveMs: Math.max(KEEPALIVE_MS, config.snapshotIntervalMs) });
  let board: OpsBoard = { requests: [], rides: [], ridesByStatus: emptyRidesByStatus(), medianAssignS: null, biddingDriverIds: [], countedAt: new Date(0).toISOString() };
  let boardPrint = '';
  let boardLoaded = false;
  let boardReadAt = 0;
  let seq = 0;
  let tickTimer: NodeJS.Timeout | undefined;
  let boardTimer: NodeJS.Timeout | undefined;
  let boardReading: Promise<void> | undefined;
  let stopped = false;
  let skipped = 0;

  function refreshBoard(): Promise<void> {
    boardReading ??= readOpsBoard(deps.pool)
      .then((next) => {
        boardLoaded = true;
        boardReadAt = Date.now();
        const print = boardFingerprint(next);
        board = next;
        if (print !== boardPrint) {
          boardPrint = print;
          pacer.markDirty();
        }
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'ops board read failed; keeping the last one'))
      .finally(() => {
        boardReading = undefined;
      });
    return boardReading;
  }

  /** Builds the next picture: whole, and (lazily) as a delta on the previous one's drivers. */
  function snapshotNow(): { seq: number; full: OpsSnapshot; delta(): OpsSnapshot } {
    seq += 1;
    const full = buildOpsSnapshot({ drivers: deps.presence.all(), board, seq, now: Date.now(), intervalMs: config.snapshotIntervalMs, maxDrivers: config.maxDrivers });
    const before = previousDrivers;
    previousDrivers = driversById(full);
    let delta: OpsSnapshot | undefined;
    return { seq, full, delta: () => (delta ??= deltaSnapshot(before, full)) };
  }

  /**
   * Sends a picture to each operator: the delta when the operator got the previous one (most
   * ticks: only the drivers that moved), else the whole picture (a new subscriber, one that
   * skipped a beat, and everyone every KEYFRAME_EVERY snapshots).
   */
  function sendTo(userIds: Iterable<string>, picture: ReturnType<typeof snapshotNow>, options: { forceFull?: boolean } = {}): void {
    const keyframe = options.forceFull === true || picture.seq % KEYFRAME_EVERY === 0;
    for (const userId of userIds) {
      if (!deps.notifier.isConnected(userId)) {
        subscribers.delete(userId);
        continue;
      }
      // A slow operator (a phone on weak Wi-Fi) skips this picture and gets the next, fresher
      // one, whole: nothing piles up, and no delta is applied to a picture it never got.
      if ((deps.notifier.queuedBytes?.(userId) ?? 0) > SKIP_WHEN_QUEUED_BYTES) {
        skipped += 1;
        continue;
      }
      const canDelta = !keyframe && subscribers.get(userId) === picture.seq - 1;
      if (deps.notifier.notify(userId, 'ops.snapshot', canDelta ? picture.delta() : picture.full)) subscribers.set(userId, picture.seq);
    }
    if (subscribers.size === 0) pause();
  }

  function tick(): void {
    if (subscribers.size === 0 || !boardLoaded) return;
    if (!pacer.shouldEmit(Date.now())) return;
    sendTo([...subscribers.keys()], snapshotNow());
  }

  /** Timers run only while someone watches: an unwatched city costs nothing. */
  function resume(): void {
    if (stopped || tickTimer) return;
    tickTimer = setInterval(tick, config.snapshotIntervalMs);
    boardTimer = setInterval(() => void refreshBoard(), config.boardIntervalMs);
    tickTimer.unref();
    boardTimer.unref();
  }
  function pause(): void {
    clearInterval(tickTimer);
    clearInterval(boardTimer);
    tickTimer = undefined;
    boardTimer = undefined;
  }

  // Cheap on every fix: only a flag.
  deps.presence.onDriverLocation(() => pacer.markDirty());
  deps.presence.onDriverOffline(() => pacer.markDirty());
  deps.presence.onClusterPicture?.(() => pacer.markDirty());

  deps.router.on('ops.subscribe', async (ctx): Promise<OpsSubscribeAck> => {
    requireOperator(ctx.caller);
    const userId = ctx.caller.userId;
    // (Re)subscribing always brings a whole picture: the page does so when it missed a delta.
    subscribers.set(userId, -1);
    resume();
    // The first picture right away (after the ack), not at the next tick, and from a fresh read
    // when the board was left to age while nobody watched.
    const fresh = boardLoaded && Date.now() - boardReadAt < 2 * config.boardIntervalMs;
    const ready = fresh ? Promise.resolve() : refreshBoard();
    void ready.then(() =>
      setImmediate(() => {
        if (subscribers.has(userId) && boardLoaded) sendTo([userId], snapshotNow(), { forceFull: true });
      }),
    );
    logger.info({ operatorId: userId, subscribers: subscribers.size }, 'operator subscribed');
    return { intervalMs: config.snapshotIntervalMs };
  });

  deps.router.on('ops.unsubscribe', (ctx) => {
    requireOperator(ctx.caller);
    subscribers.delete(ctx.caller.userId);
    if (subscribers.size === 0) pause();
    return undefined;
  });

  deps.router.on('ops.ride', async (ctx, data): Promise<OpsRideAck> => {
    requireOperator(ctx.caller);
    // Operators see every ride and all its bids: the view has names and ratings, never phones.
    const ride = await getRideDetail(deps.pool, data.rideId);
    if (!ride) throw new AppError('not_found', 'no such ride');
    return { ride };
  });

  return {
    name: 'ops',
    httpHandler: createOpsStaticHandler(config.mapDir ?? defaultOpsMapDir()),
    subscriberCount: () => subscribers.size,
    skippedSnapshots: () => skipped,
    async stop() {
      stopped = true;
      pause();
      subscribers.clear();
      await boardReading;
    },
  };
}
