/**
 * Driver presence across the cluster, in Redis: a GEO set of online drivers, one hash of every
 * driver's position, and one hash per driver for the rest (its fields: presenceFields below), owned
 * by the node that holds the driver's socket. The owning node keeps its drivers in memory too
 * (presence/driver-presence.ts) so a fix stays synchronous: it only replaces the driver's pending
 * fix here; the pending fixes go to Redis together every CLUSTER_PRESENCE_FLUSH_MS (100 ms), never
 * awaited. The live locations a customer sees do not wait for this (they go node to node at once,
 * follows.ts); what reads the shared index (nearest drivers for an offer, the ops map's picture, a
 * share link's first position) needs metres, not milliseconds. One write per interval instead of
 * one per event-loop turn is what keeps a fix cheap for the node and for Redis
 * (docs/performance.md, "Cluster mode"), and a driver who sends faster costs one write per
 * interval, not one per fix. Every transition to offline runs in a Lua script that only one node
 * can win.
 */
import { VehicleType, type LatLng } from '@drivrr/shared/protocol';
import type { DriverPresenceIndex, PresenceReplica } from '../presence/driver-presence.js';
import type { DriverActivity, DriverPresenceInfo, NearbyDriver } from '../ws/contracts.js';
import type { ClusterNode } from './node.js';

/**
 * How a DriverPresenceInfo is written to and read from Redis. The moving fields (location, heading,
 * time) are the driver's entry in the shared `pos` hash, `lng|lat|heading|updatedAt`, which a
 * presence flush writes for all its drivers with one HSET. Activity and vehicle type (offers filter
 * on it, so it is validated on read) have fields of their own in the driver's hash; any other field
 * of the info is stored there as JSON under its own name by driver.online and read back as it was:
 * adding a field to DriverPresenceInfo needs no line here.
 */
const OWN_FIELDS = new Set(['driverId', 'location', 'heading', 'activity', 'vehicleType', 'updatedAt']);
/** Hash fields that belong to the cluster's bookkeeping, not to the info. */
const BOOKKEEPING = new Set(['lat', 'lng', 'heading', 'activity', 'vehicleType', 'updatedAt', 'node', 'grace', 'bg', 'previousNode', 'position']);

/** A driver's entry in the `pos` hash (ids are UUIDs and the rest numbers: never a `|` or a newline). */
export function positionValue(info: Pick<DriverPresenceInfo, 'location' | 'heading' | 'updatedAt'>): string {
  return `${info.location.lng}|${info.location.lat}|${info.heading ?? ''}|${info.updatedAt}`;
}

/**
 * The driver's hash with the position merged in as `lat`, `lng`, `heading`, `updatedAt` (what
 * presenceFields.read takes). Without a position, or without a hash, it is returned as it is.
 */
function withPosition(hash: Record<string, string>, position: string | null | undefined): Record<string, string> {
  // An empty hash is a driver who is not online: a position alone does not bring him back.
  if (!position || hash.node === undefined) return hash;
  const [lng = '', lat = '', heading = '', updatedAt = ''] = position.split('|');
  return { ...hash, lng, lat, heading, updatedAt };
}

function isVehicleType(value: string | undefined): value is VehicleType {
  return VehicleType.safeParse(value).success;
}

const presenceFields = {
  /** The driver's hash: every field but the position (positionValue) and `activity` (driver.online keeps an activity already set). */
  write(info: DriverPresenceInfo): string[] {
    const pairs = ['vehicleType', info.vehicleType];
    for (const [name, value] of Object.entries(info)) if (!OWN_FIELDS.has(name) && value !== undefined) pairs.push(name, JSON.stringify(value));
    return pairs;
  },
  read(driverId: string, hash: Record<string, string>): DriverPresenceInfo | undefined {
    const lat = Number(hash.lat);
    const lng = Number(hash.lng);
    if (hash.lat === undefined || !Number.isFinite(lat) || !Number.isFinite(lng)) return undefined;
    const info: DriverPresenceInfo & Record<string, unknown> = {
      driverId,
      location: { lat, lng },
      heading: hash.heading === undefined || hash.heading === '' ? null : Number(hash.heading),
      activity: hash.activity === 'on_ride' ? 'on_ride' : 'idle',
      // Offers filter on it; a missing or unknown value reads as the contract's default type.
      vehicleType: isVehicleType(hash.vehicleType) ? hash.vehicleType : 'car',
      updatedAt: Number(hash.updatedAt) || 0,
    };
    for (const [name, raw] of Object.entries(hash)) {
      if (BOOKKEEPING.has(name) || OWN_FIELDS.has(name)) continue;
      try {
        info[name] = JSON.parse(raw) as unknown;
      } catch {
        // A field this version cannot read (written by a newer node): left out.
      }
    }
    return info;
  },
};

/** One fix as a line of the driverFixes script's argument: the driver's id, then his position. */
export function fixFieldsLine(info: Pick<DriverPresenceInfo, 'driverId' | 'location' | 'heading' | 'updatedAt'>): string {
  return `${info.driverId}|${positionValue(info)}\n`;
}

/**
 * Fixes per driverFixes call: big enough that a burst costs few commands, small enough that one
 * script does not hold Redis for long (and for its one GEOADD of them all: Lua's unpack takes < 8,000 values).
 */
const FIXES_PER_CALL = 500;
/** The cached picture of the whole city (ops map) is refreshed this often while somebody reads it. */
const PICTURE_REFRESH_MS = 1_000;
/** ...and kept up to date only while it was read within this window. */
const PICTURE_WANTED_MS = 10_000;

export class ClusterPresence implements PresenceReplica {
  private picture = new Map<string, DriverPresenceInfo>();
  private pictureWantedAt = 0;
  private refreshing = false;
  private readonly timer: NodeJS.Timeout;
  private readonly claims = new Map<string, Promise<void>>();
  private index: DriverPresenceIndex | undefined;
  /** The latest fix of each driver not yet written to Redis (a later fix replaces an earlier one). */
  private pendingFixes = new Map<string, DriverPresenceInfo>();
  private fixTimer: NodeJS.Timeout | undefined;

  constructor(private readonly node: ClusterNode) {
    node.on('X', ([, driverId]) => this.index?.dropCopy(driverId as string));
    node.on('V', ([, driverId, activity]) => this.index?.applyActivity(driverId as string, activity === 'on_ride' ? 'on_ride' : 'idle'));
    node.onResync(() => this.rewrite());
    this.timer = setInterval(() => void this.refreshPicture(), PICTURE_REFRESH_MS);
    this.timer.unref();
  }

  bind(index: DriverPresenceIndex): void {
    this.index = index;
    index.replicateTo(this);
  }

  /** Stops the timers; fixes still pending are written first (a clean stop loses no position). */
  stop(): void {
    clearInterval(this.timer);
    this.flushFixes();
  }

  online(info: DriverPresenceInfo): void {
    // This write carries the driver's latest location: an older pending fix must not follow it.
    this.pendingFixes.delete(info.driverId);
    const { redis, keys, id } = this.node;
    redis
      .driverOnline(keys.geo, keys.driver(info.driverId), keys.nodeDrivers(id), keys.grace, keys.positions, this.node.config.prefix, info.driverId, id, info.location.lng, info.location.lat,
        positionValue(info), ...presenceFields.write(info), 'node', id, 'grace', '0', 'bg', '0', 'activity', info.activity)
      .then((previous) => {
        if (typeof previous === 'string' && previous !== '' && previous !== id) this.node.toNode(previous, `X|${info.driverId}`);
      })
      .catch((error: unknown) => this.node.failed(error, 'driver online'));
  }

  /** One fix: it becomes the driver's pending fix, written with the others within CLUSTER_PRESENCE_FLUSH_MS. */
  moved(info: DriverPresenceInfo): void {
    this.pendingFixes.set(info.driverId, info);
    if (this.fixTimer === undefined) {
      this.fixTimer = setTimeout(this.flushFixes, this.node.config.presenceFlushMs);
      this.fixTimer.unref();
    }
  }

  private readonly flushFixes = (): void => {
    clearTimeout(this.fixTimer);
    this.fixTimer = undefined;
    if (this.pendingFixes.size === 0) return;
    const fixes = this.pendingFixes;
    this.pendingFixes = new Map();
    const { redis, keys, id } = this.node;
    let lines = '';
    let count = 0;
    const send = (): void => {
      // A Buffer, for the reason given at ClusterNode.publish.
      redis.driverFixes(keys.geo, keys.positions, keys.nodeDrivers(id), Buffer.from(lines)).catch((error: unknown) => this.node.failed(error, 'driver fix'));
      lines = '';
      count = 0;
    };
    for (const info of fixes.values()) {
      lines += fixFieldsLine(info);
      count += 1;
      if (count === FIXES_PER_CALL) send();
    }
    if (count > 0) send();
  };

  background(info: DriverPresenceInfo, graceUntil: number): void {
    this.pendingFixes.delete(info.driverId);
    const { redis, keys, id } = this.node;
    redis
      .driverBackground(keys.geo, keys.driver(info.driverId), keys.nodeDrivers(id), keys.grace, keys.positions, this.node.config.prefix, info.driverId, id,
        info.location.lng, info.location.lat, info.heading === null ? '' : info.heading, info.updatedAt, graceUntil)
      .then((outcome) => {
        // Another node holds the driver's live socket: it keeps the driver, this copy goes.
        if (outcome === 'moved') this.index?.dropCopy(info.driverId);
      })
      .catch((error: unknown) => this.node.failed(error, 'background fix'));
  }

  graceStarted(driverId: string, graceUntil: number): void {
    const { redis, keys, id } = this.node;
    redis.driverGrace(keys.driver(driverId), id, graceUntil).catch((error: unknown) => this.node.failed(error, 'driver grace'));
  }

  reconnected(driverId: string): void {
    const { redis, keys, id, config } = this.node;
    const claim = redis
      .driverClaim(keys.driver(driverId), keys.nodeDrivers(id), keys.grace, keys.positions, config.prefix, driverId, id)
      .then((raw) => {
        const flat = raw as string[];
        if (flat.length === 0) return;
        const hash: Record<string, string> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i] as string] = flat[i + 1] as string;
        const info = presenceFields.read(driverId, withPosition(hash, hash.position));
        if (info) this.index?.restore(info, false);
        const previous = hash.previousNode;
        if (previous && previous !== id) this.node.toNode(previous, `X|${driverId}`);
      })
      .catch((error: unknown) => this.node.failed(error, 'driver claim'))
      .finally(() => {
        if (this.claims.get(driverId) === claim) this.claims.delete(driverId);
      });
    this.claims.set(driverId, claim);
  }

  /** Resolves once a pending take-over of the driver (reconnect) has landed here. */
  settled(driverId: string): Promise<void> {
    return this.claims.get(driverId) ?? Promise.resolve();
  }

  activity(driverId: string, activity: DriverActivity): void {
    const { redis, keys, id } = this.node;
    redis
      .driverActivity(keys.driver(driverId), activity)
      .then((owner) => {
        if (typeof owner === 'string' && owner !== '' && owner !== id) this.node.toNode(owner, `V|${driverId}|${activity}`);
      })
      .catch((error: unknown) => this.node.failed(error, 'driver activity'));
    const cached = this.picture.get(driverId);
    if (cached) cached.activity = activity;
  }

  async end(driverId: string, reason: 'offline' | 'grace'): Promise<boolean> {
    this.pendingFixes.delete(driverId);
    const { redis, keys, id } = this.node;
    try {
      return Number(await redis.driverEnd(keys.geo, keys.driver(driverId), keys.nodeDrivers(id), keys.grace, keys.positions, driverId, id, reason)) === 1;
    } catch (error) {
      this.node.failed(error, 'driver end');
      return false;
    } finally {
      this.picture.delete(driverId);
    }
  }

  async nearestIdle(point: LatLng, radiusM: number, limit: number, vehicleType?: VehicleType): Promise<NearbyDriver[]> {
    const { redis, keys } = this.node;
    // Drivers on a ride and background-only ones share the GEO set: ask for more, filter after.
    let count = limit * 3 + 10;
    for (;;) {
      const hits = (await redis.geosearch(keys.geo, 'FROMLONLAT', point.lng, point.lat, 'BYRADIUS', radiusM, 'm', 'ASC', 'COUNT', count, 'WITHDIST', 'WITHCOORD')) as [string, string, [string, string]][];
      const hashes = await this.readDriverHashes(hits.map(([driverId]) => driverId));
      const found: NearbyDriver[] = [];
      hits.forEach(([driverId, dist, [lng, lat]], i) => {
        const fields = hashes[i];
        if (!fields) return;
        const info = presenceFields.read(driverId, fields);
        // Like single mode, a driver in the reconnect grace (orphaned by a dead node too) stays offerable.
        if (!info || info.activity !== 'idle' || fields.bg === '1' || fields.node === undefined) return;
        if (vehicleType !== undefined && info.vehicleType !== vehicleType) return;
        found.push({ driverId, distanceM: Number(dist), location: { lat: Number(lat), lng: Number(lng) } });
      });
      if (found.length >= limit || hits.length < count) return found.slice(0, limit);
      count *= 4;
    }
  }

  all(local: Iterable<DriverPresenceInfo>): Iterable<DriverPresenceInfo> {
    const wasWanted = Date.now() - this.pictureWantedAt < PICTURE_WANTED_MS;
    this.pictureWantedAt = Date.now();
    if (!wasWanted) void this.refreshPicture();
    const merged = new Map(this.picture);
    for (const info of local) merged.set(info.driverId, info);
    return merged.values();
  }

  peek(driverId: string): DriverPresenceInfo | undefined {
    return this.picture.get(driverId);
  }

  /** A driver wherever he is connected, read from Redis (undefined: not online, or Redis away). */
  async lookup(driverId: string): Promise<DriverPresenceInfo | undefined> {
    try {
      const [hash] = await this.readDriverHashes([driverId]);
      return hash && presenceFields.read(driverId, hash);
    } catch (error) {
      this.node.failed(error, 'driver lookup');
      return undefined;
    }
  }

  /** The hashes of these drivers with their positions, in one pipeline; undefined for one that failed to read. */
  private async readDriverHashes(driverIds: readonly string[]): Promise<(Record<string, string> | undefined)[]> {
    if (driverIds.length === 0) return [];
    const { redis, keys } = this.node;
    const pipeline = redis.pipeline();
    for (const driverId of driverIds) pipeline.hgetall(keys.driver(driverId));
    pipeline.hmget(keys.positions, ...driverIds);
    const rows = (await pipeline.exec()) ?? [];
    const [positionsError, positions] = rows[driverIds.length] ?? [null, null];
    return driverIds.map((_, i) => {
      const [error, hash] = rows[i] ?? [null, null];
      if (error || !hash || positionsError) return undefined;
      return withPosition(hash as Record<string, string>, (positions as (string | null)[] | null)?.[i]);
    });
  }

  /** Reads every online driver of the cluster (only while somebody reads all(): the ops map). */
  private async refreshPicture(): Promise<void> {
    if (this.refreshing || Date.now() - this.pictureWantedAt >= PICTURE_WANTED_MS) return;
    this.refreshing = true;
    try {
      const ids = await this.node.redis.zrange(this.node.keys.geo, 0, -1);
      const hashes = await this.readDriverHashes(ids);
      const next = new Map<string, DriverPresenceInfo>();
      ids.forEach((driverId, i) => {
        const fields = hashes[i];
        const info = fields && presenceFields.read(driverId, fields);
        if (info) next.set(driverId, info);
      });
      this.picture = next;
      this.index?.pictureChanged();
    } catch (error) {
      this.node.failed(error, 'presence picture');
    } finally {
      this.refreshing = false;
    }
  }

  /** After a Redis restart: this node's drivers again (their grace timers keep running here). */
  private async rewrite(): Promise<void> {
    const index = this.index;
    if (!index) return;
    for (const info of index.localDrivers()) {
      this.online(info);
      if (index.inGrace(info.driverId)) this.graceStarted(info.driverId, Date.now() + this.node.graceMs);
    }
  }
}
