/**
 * Share the trip (contract 1.1): the public, login-free view of one ride behind a link token.
 *   GET /track/:token              the page (ops-map's second entry, track.html)
 *   GET /api/track/:token          TrackView as JSON
 *   GET /api/track/:token/events   Server-Sent Events: `track`, `location`, `ended`
 * Unknown tokens answer 404 not_found, a ride that ended (or a link past its age) 410
 * link_expired. The token grants this view only: no ids, phones or fares leave here.
 * Live positions come from presence (every fix of the driver, socket or HTTP). Status changes
 * are read back from PostgreSQL every TRACK_POLL_MS for the rides someone is watching (one
 * query for all of them, on the rides clock): the rides module stays unaware of this view.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { AppError } from '@drivrr/shared';
import type { Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import { ACTIVE_RIDE_STATUSES, type RideStatus, type TrackEndedEvent, type TrackLocationEvent, type TrackView } from '@drivrr/shared/protocol';
import { findSharedRide, type SharedRide } from '@drivrr/store/share-links';
import { readRideParties } from '../db/rides.js';
import { readRideStatuses } from '../db/track.js';
import { methodNotAllowed, pathOf, sendFailure, sendJson } from '../http/json.js';
import { OPS_PAGE_CSP, defaultOpsMapDir } from '../ops/static-files.js';
import type { RideClock } from '../rides/clock.js';
import type { DriverPresence, DriverPresenceInfo, PresenceEvents, RealtimeModule } from '../ws/contracts.js';

/** How often the statuses of watched rides are re-read (ms). */
export const TRACK_POLL_MS = 1_000;
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
const PAGE = /^\/track\/([^/]+)$/;
const API = /^\/api\/track\/([^/]+)(\/events)?$/;

export interface TrackModuleDeps {
  pool: Pool;
  logger: Logger;
  presence: DriverPresence & PresenceEvents;
  /** The server's clock of the modules (tests pass a virtual one). */
  clock: RideClock;
  /** Folder of the built ops-map (its track.html); default the workspace's ops-map/dist. */
  mapDir?: string | undefined;
}

interface Watcher extends Pick<SharedRide, 'rideId' | 'pickup' | 'dropoff' | 'vehicleType' | 'driverId' | 'status' | 'linkExpiresAt'> {
  res: ServerResponse;
  keepalive: NodeJS.Timeout | undefined;
  /** Time of the last fix sent, so a fix seen both live and by the poll goes out once. */
  lastFixAt: number;
}

function isLive(status: RideStatus): boolean {
  return (ACTIVE_RIDE_STATUSES as readonly RideStatus[]).includes(status);
}

export function createTrackModule(deps: TrackModuleDeps): RealtimeModule & { watcherCount(): number } {
  const logger = deps.logger.child({ module: 'track' });
  const pageFile = path.join(path.resolve(deps.mapDir ?? defaultOpsMapDir()), 'track.html');
  const { clock } = deps;
  const watchers = new Set<Watcher>();
  /** Watchers by the driver they show: every fix of every driver looks here, so one Map lookup. */
  const watchersByDriver = new Map<string, Set<Watcher>>();

  function index(watcher: Watcher, driverId: string | null): void {
    if (watcher.driverId !== null) {
      const set = watchersByDriver.get(watcher.driverId);
      set?.delete(watcher);
      if (set?.size === 0) watchersByDriver.delete(watcher.driverId);
    }
    watcher.driverId = driverId;
    if (driverId === null || !watchers.has(watcher)) return;
    let set = watchersByDriver.get(driverId);
    if (!set) {
      set = new Set();
      watchersByDriver.set(driverId, set);
    }
    set.add(watcher);
  }

  function forget(watcher: Watcher): void {
    clearInterval(watcher.keepalive);
    watchers.delete(watcher);
    index(watcher, null);
  }
  let stopped = false;

  /** The link's ride while it may be shown; throws not_found / link_expired otherwise. */
  async function openLink(token: string): Promise<SharedRide> {
    const ride = await findSharedRide(deps.pool, token);
    if (!ride) throw new AppError('not_found', 'no such link');
    if (!isLive(ride.status) || ride.linkExpiresAt.getTime() <= clock.now()) {
      throw new AppError('link_expired', 'this trip has ended; the link no longer shows it', { details: { status: ride.status } });
    }
    return ride;
  }

  function locationOf(info: DriverPresenceInfo | undefined): Pick<NonNullable<TrackView['driver']>, 'lat' | 'lng' | 'ts'> {
    return info ? { lat: info.location.lat, lng: info.location.lng, ts: info.updatedAt } : { lat: null, lng: null, ts: null };
  }

  async function viewOf(ride: Pick<SharedRide, 'rideId' | 'status' | 'pickup' | 'dropoff' | 'vehicleType' | 'driverId'>): Promise<TrackView> {
    const view: TrackView = { ride: { status: ride.status, vehicleType: ride.vehicleType, pickup: ride.pickup, dropoff: ride.dropoff }, driver: null };
    if (ride.driverId === null) return view;
    const parties = await readRideParties(deps.pool, ride.rideId);
    const driver = parties?.driver;
    view.driver = { name: driver?.name ?? null, vehicle: driver?.vehicle ?? null, ...locationOf(await deps.presence.locate(ride.driverId)) };
    return view;
  }

  function sendEvent(watcher: Watcher, event: 'track' | 'location' | 'ended', data: TrackView | TrackLocationEvent | TrackEndedEvent): void {
    watcher.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  function end(watcher: Watcher): void {
    forget(watcher);
    watcher.res.end();
  }

  async function stream(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    const ride = await openLink(token);
    const view = await viewOf(ride);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    res.write('retry: 3000\n\n');
    const watcher: Watcher = { res, rideId: ride.rideId, pickup: ride.pickup, dropoff: ride.dropoff, vehicleType: ride.vehicleType, driverId: null, status: ride.status, linkExpiresAt: ride.linkExpiresAt, keepalive: undefined, lastFixAt: view.driver?.ts ?? 0 };
    watchers.add(watcher);
    index(watcher, ride.driverId);
    sendEvent(watcher, 'track', view);
    watcher.keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    watcher.keepalive.unref();
    req.on('close', () => forget(watcher));
  }

  /** One read for every watched ride: a new status or driver re-sends the view; an end closes. */
  async function poll(): Promise<void> {
    if (watchers.size === 0 || stopped) return;
    await pollFixes();
    const rideIds = [...new Set([...watchers].map((w) => w.rideId))];
    let rows: Map<string, { status: RideStatus; driverId: string | null }>;
    try {
      rows = await readRideStatuses(deps.pool, rideIds);
    } catch (error) {
      logger.warn({ err: error }, 'track: reading ride statuses failed; trying again at the next poll');
      return;
    }
    for (const watcher of [...watchers]) {
      const current = rows.get(watcher.rideId);
      if (watcher.linkExpiresAt.getTime() <= clock.now()) {
        sendEvent(watcher, 'ended', { status: current?.status ?? watcher.status });
        end(watcher);
        continue;
      }
      if (!current || (current.status === watcher.status && current.driverId === watcher.driverId)) continue;
      watcher.status = current.status;
      index(watcher, current.driverId);
      if (!isLive(current.status)) {
        sendEvent(watcher, 'ended', { status: current.status });
        end(watcher);
        continue;
      }
      try {
        const view = await viewOf(watcher);
        if (watchers.has(watcher)) sendEvent(watcher, 'track', view);
      } catch (error) {
        logger.warn({ err: error }, 'track: reading the ride view failed');
      }
    }
  }

  function sendFix(watchers: Iterable<Watcher>, info: DriverPresenceInfo): void {
    for (const watcher of watchers) {
      if (info.updatedAt <= watcher.lastFixAt) continue;
      watcher.lastFixAt = info.updatedAt;
      sendEvent(watcher, 'location', { lat: info.location.lat, lng: info.location.lng, heading: info.heading, ts: info.updatedAt });
    }
  }

  /**
   * Fixes of drivers held by another node of a cluster never reach this node's presence events:
   * each poll reads the watched drivers' latest fix (from Redis there; from memory in single
   * mode, where the live events have sent it already).
   */
  async function pollFixes(): Promise<void> {
    for (const [driverId, watching] of [...watchersByDriver]) {
      const info = await deps.presence.locate(driverId).catch(() => undefined);
      if (info) sendFix(watching, info);
    }
  }

  deps.presence.onDriverLocation((info) => {
    const watching = watchersByDriver.get(info.driverId);
    if (watching) sendFix(watching, info);
  });
  clock.every(TRACK_POLL_MS, poll);

  async function servePage(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    // The page shows the link's state itself (from the API); the status says it to crawlers and tests.
    let status = 200;
    try {
      await openLink(token);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      status = error.status;
    }
    let body: Buffer;
    try {
      body = await readFile(pageFile);
    } catch {
      throw new AppError('service_unavailable', 'the track page is not built: run `npm run build` at the repository root');
    }
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': OPS_PAGE_CSP,
      // The token is in the path: never send it on as a referrer.
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  function handle(req: IncomingMessage, res: ServerResponse): boolean {
    const urlPath = pathOf(req);
    const page = PAGE.exec(urlPath);
    const api = page ? null : API.exec(urlPath);
    if (!page && !api) return false;
    // Tokens are base64url: anything percent-encoded is no token (and may not even decode).
    const token = (page ?? api)?.[1] ?? '';
    let work: Promise<void>;
    if (req.method !== 'GET' && req.method !== 'HEAD') work = Promise.reject(methodNotAllowed(req, ['GET']));
    else if (page) work = servePage(req, res, token);
    else if (api?.[2]) work = stream(req, res, token);
    else work = openLink(token).then(viewOf).then((view) => sendJson(res, 200, view));
    work.catch((error: unknown) => sendFailure(res, error, logger));
    return true;
  }

  return {
    name: 'track',
    httpHandler: handle,
    watcherCount: () => watchers.size,
    async stop() {
      stopped = true;
      for (const watcher of [...watchers]) end(watcher);
    },
  };
}
