/**
 * Online drivers: where they are, whether they are free, and the reconnect grace. The transport
 * calls goOnline/move/goOffline from the driver messages and disconnected/reconnected from socket
 * events; feature modules read it through DriverPresence and listen through PresenceEvents.
 */
import type { LatLng, VehicleType } from '@drivrr/shared/protocol';
import type { DriverActivity, DriverPresence, DriverPresenceInfo, NearbyDriver, PresenceEvents } from '../ws/contracts.js';
import { SpatialGrid } from './spatial-index.js';

export interface PresenceListenerErrorSink {
  (error: unknown, event: 'offline' | 'location', driverId: string): void;
}

export type NearestDriver = NearbyDriver;

/**
 * Cluster mode (cluster/presence.ts): the copy of presence in Redis that every node reads. The
 * index keeps its own drivers in memory (the hot path stays synchronous) and tells the replica
 * each change; the replica decides which node owns an offline transition. Absent in single mode.
 */
export interface PresenceReplica {
  online(info: DriverPresenceInfo): void;
  /** One fix: never waited for (a replica may write it together with later ones). */
  moved(info: DriverPresenceInfo): void;
  background(info: DriverPresenceInfo, graceUntil: number): void;
  graceStarted(driverId: string, graceUntil: number): void;
  /** The driver's socket (re)opened here: take the driver over from wherever it was. */
  reconnected(driverId: string): void;
  activity(driverId: string, activity: DriverActivity): void;
  /** Ends the driver cluster-wide; true when this node owns the transition (it announces). */
  end(driverId: string, reason: 'offline' | 'grace'): Promise<boolean>;
  nearestIdle(point: LatLng, radiusM: number, limit: number, vehicleType?: VehicleType): Promise<NearestDriver[]>;
  /** Every online driver of the cluster (a cached picture, refreshed in the background). */
  all(local: Iterable<DriverPresenceInfo>): Iterable<DriverPresenceInfo>;
  /** A driver of another node, from the cached picture. */
  peek(driverId: string): DriverPresenceInfo | undefined;
  /** A driver of another node, read now (undefined: not online, or Redis away). */
  lookup(driverId: string): Promise<DriverPresenceInfo | undefined>;
}

export class DriverPresenceIndex implements DriverPresence, PresenceEvents {
  private replica: PresenceReplica | undefined;
  private readonly grid = new SpatialGrid<DriverPresenceInfo>();
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  /**
   * Drivers in the index only through fixes sent over HTTP (their socket is gone): kept visible
   * for their ride, never offered a new one (offers need the socket).
   */
  private readonly backgroundOnly = new Set<string>();
  private readonly offlineListeners: ((driverId: string) => void)[] = [];
  private readonly locationListeners: ((info: DriverPresenceInfo) => void)[] = [];
  private readonly pictureListeners: (() => void)[] = [];

  constructor(
    private readonly graceMs: number,
    private readonly onListenerError: PresenceListenerErrorSink,
  ) {}

  /** Cluster mode: mirror every change to Redis and read the cluster from there. */
  replicateTo(replica: PresenceReplica): void {
    this.replica = replica;
  }

  get(driverId: string): DriverPresenceInfo | undefined {
    const local = this.grid.get(driverId)?.value;
    if (local !== undefined || this.replica === undefined) return local;
    return this.replica.peek(driverId);
  }

  async locate(driverId: string): Promise<DriverPresenceInfo | undefined> {
    const local = this.grid.get(driverId)?.value;
    if (local !== undefined || this.replica === undefined) return local;
    return this.replica.lookup(driverId);
  }

  /** This node's own copy only (cluster mode: the drivers whose socket is here). */
  getLocal(driverId: string): DriverPresenceInfo | undefined {
    return this.grid.get(driverId)?.value;
  }

  isOnline(driverId: string): boolean {
    return this.grid.get(driverId) !== undefined;
  }

  nearestIdle(point: LatLng, radiusM: number, limit: number, vehicleType?: VehicleType): NearestDriver[] | Promise<NearestDriver[]> {
    if (this.replica !== undefined) return this.replica.nearestIdle(point, radiusM, limit, vehicleType);
    return this.grid
      .nearest(
        point,
        radiusM,
        limit,
        (p) => p.value.activity === 'idle' && (vehicleType === undefined || p.value.vehicleType === vehicleType) && !this.backgroundOnly.has(p.id),
      )
      .map((n) => ({ driverId: n.point.id, distanceM: n.distanceM, location: { ...n.point.value.location } }));
  }

  /** Every online driver within `radiusM`, nearest first, whatever their activity. */
  within(point: LatLng, radiusM: number): { driverId: string; distanceM: number; location: LatLng }[] {
    return this.grid.within(point, radiusM).map((n) => ({ driverId: n.point.id, distanceM: n.distanceM, location: { ...n.point.value.location } }));
  }

  setActivity(driverId: string, activity: DriverActivity): void {
    const entry = this.grid.get(driverId);
    if (entry) entry.value.activity = activity;
    this.replica?.activity(driverId, activity);
  }

  /** Cluster mode: another node changed the activity of a driver held here. */
  applyActivity(driverId: string, activity: DriverActivity): void {
    const entry = this.grid.get(driverId);
    if (entry) entry.value.activity = activity;
  }

  onlineCount(): number {
    return this.grid.size;
  }

  all(): Iterable<DriverPresenceInfo> {
    if (this.replica !== undefined) return this.replica.all(this.localValues());
    return this.localValues();
  }

  /** This node's own drivers (cluster mode: those whose socket or fixes are here). */
  localDrivers(): Iterable<DriverPresenceInfo> {
    return this.localValues();
  }

  private *localValues(): Iterable<DriverPresenceInfo> {
    for (const p of this.grid.values()) yield p.value;
  }

  onDriverOffline(listener: (driverId: string) => void): void {
    this.offlineListeners.push(listener);
  }

  onDriverLocation(listener: (info: DriverPresenceInfo) => void): void {
    this.locationListeners.push(listener);
  }

  onClusterPicture(listener: () => void): void {
    this.pictureListeners.push(listener);
  }

  /** Cluster mode: the replica refreshed its picture of the other nodes' drivers. */
  pictureChanged(): void {
    for (const listener of this.pictureListeners) listener();
  }

  /**
   * driver.online: (re)enters the index at `location` with the vehicle type the caller read,
   * keeping an activity and heading it already had.
   */
  goOnline(driverId: string, location: LatLng, now: number, vehicleType: VehicleType): DriverPresenceInfo {
    this.backgroundOnly.delete(driverId);
    const entry = this.grid.get(driverId);
    if (entry) entry.value.vehicleType = vehicleType;
    const info = this.moveHere(driverId, location, null, now);
    if (info) {
      this.replica?.online(info);
      this.announce(info);
      return info;
    }
    const fresh: DriverPresenceInfo = { driverId, location: { lat: location.lat, lng: location.lng }, heading: null, activity: 'idle', vehicleType, updatedAt: now };
    this.grid.set(driverId, location.lat, location.lng, fresh);
    this.replica?.online(fresh);
    this.announce(fresh);
    return fresh;
  }

  /** location.update: moves an online driver; returns undefined when the driver is not online. */
  move(driverId: string, location: LatLng, heading: number | null, now: number): DriverPresenceInfo | undefined {
    const info = this.moveHere(driverId, location, heading, now);
    if (info === undefined) return undefined;
    if (this.replica !== undefined) this.replica.moved(info);
    this.announce(info);
    return info;
  }

  private moveHere(driverId: string, location: LatLng, heading: number | null, now: number): DriverPresenceInfo | undefined {
    const entry = this.grid.move(driverId, location.lat, location.lng);
    if (!entry) return undefined;
    const info = entry.value;
    // Moved in place: one fix allocates nothing here. Readers that keep a location past the call
    // get a copy (nearestIdle, within).
    info.location.lat = location.lat;
    info.location.lng = location.lng;
    if (heading !== null) info.heading = heading;
    info.updatedAt = now;
    return info;
  }

  /**
   * A fix that came over HTTP (POST /api/locations: the phone suspended the app's socket). A
   * driver in the index moves as with location.update; a driver on a ride whose socket is gone
   * also has the reconnect grace re-armed, so they stay visible while fixes keep coming; a driver
   * on a ride who had already left the index comes back into it, on the ride and never offerable.
   * Anybody else (offline, not on a ride) is left alone: returns undefined.
   */
  moveInBackground(
    driverId: string,
    location: LatLng,
    heading: number | null,
    fixedAt: number,
    onRide: boolean,
    vehicleType: VehicleType = 'car',
  ): DriverPresenceInfo | undefined {
    if (this.replica === undefined) {
      const moved = this.move(driverId, location, heading, fixedAt);
      if (moved) {
        if (onRide && this.graceTimers.has(driverId)) this.startGrace(driverId);
        return moved;
      }
    } else {
      const moved = this.moveHere(driverId, location, heading, fixedAt);
      if (moved) {
        if (onRide && this.graceTimers.has(driverId)) this.startGrace(driverId, false);
        this.replica.background(moved, this.graceTimers.has(driverId) ? Date.now() + this.graceMs : 0);
        this.announce(moved);
        return moved;
      }
    }
    if (!onRide) return undefined;
    const fresh: DriverPresenceInfo = { driverId, location: { lat: location.lat, lng: location.lng }, heading, activity: 'on_ride', vehicleType, updatedAt: fixedAt };
    this.backgroundOnly.add(driverId);
    this.grid.set(driverId, location.lat, location.lng, fresh);
    this.startGrace(driverId, false);
    this.replica?.background(fresh, Date.now() + this.graceMs);
    this.announce(fresh);
    return fresh;
  }

  /** True while the driver is in the index only through HTTP fixes (no socket since). */
  isBackgroundOnly(driverId: string): boolean {
    return this.backgroundOnly.has(driverId);
  }

  /** driver.offline or the end of the grace: leaves the index and tells the listeners. */
  goOffline(driverId: string, reason: 'offline' | 'grace' = 'offline'): boolean {
    this.cancelGrace(driverId);
    this.backgroundOnly.delete(driverId);
    const had = this.grid.delete(driverId);
    if (this.replica !== undefined) {
      // Cluster: Redis decides which node owns the transition, so listeners run once cluster-wide.
      void this.replica.end(driverId, reason).then((owned) => {
        if (owned) this.announceOffline(driverId);
      });
      return had;
    }
    if (!had) return false;
    this.announceOffline(driverId);
    return true;
  }

  /** Tells the offline listeners (cluster mode: for drivers whose end this node owns). */
  announceOffline(driverId: string): void {
    for (const listener of this.offlineListeners) {
      try {
        listener(driverId);
      } catch (error) {
        this.onListenerError(error, 'offline', driverId);
      }
    }
  }

  /** Cluster mode: the driver was taken over by another node; this copy goes without announcing. */
  dropCopy(driverId: string): void {
    this.cancelGrace(driverId);
    this.backgroundOnly.delete(driverId);
    this.grid.delete(driverId);
  }

  /** Cluster mode: a driver taken over from another node (reconnect) enters this node's copy. */
  restore(info: DriverPresenceInfo, backgroundOnly: boolean): void {
    if (this.grid.get(info.driverId)) return;
    if (backgroundOnly) this.backgroundOnly.add(info.driverId);
    this.grid.set(info.driverId, info.location.lat, info.location.lng, info);
  }

  /** The driver's socket dropped: stays online for the grace, then goes offline. */
  disconnected(driverId: string): void {
    if (!this.grid.get(driverId)) return;
    this.startGrace(driverId);
  }

  /** (Re)arms the grace: at its end the driver goes offline. */
  private startGrace(driverId: string, tellReplica = true): void {
    this.cancelGrace(driverId);
    const timer = setTimeout(() => {
      this.graceTimers.delete(driverId);
      this.goOffline(driverId, 'grace');
    }, this.graceMs);
    timer.unref();
    this.graceTimers.set(driverId, timer);
    if (tellReplica) this.replica?.graceStarted(driverId, Date.now() + this.graceMs);
  }

  /** The driver is connected again (within the grace): the state is kept. */
  reconnected(driverId: string): void {
    this.cancelGrace(driverId);
    this.backgroundOnly.delete(driverId);
    this.replica?.reconnected(driverId);
  }

  inGrace(driverId: string): boolean {
    return this.graceTimers.has(driverId);
  }

  /** Shutdown: clears every grace timer without announcing anybody offline (a restart resumes). */
  stop(): void {
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
  }

  private announce(info: DriverPresenceInfo): void {
    for (const listener of this.locationListeners) {
      try {
        listener(info);
      } catch (error) {
        this.onListenerError(error, 'location', info.driverId);
      }
    }
  }

  private cancelGrace(driverId: string): void {
    const timer = this.graceTimers.get(driverId);
    if (timer) {
      clearTimeout(timer);
      this.graceTimers.delete(driverId);
    }
  }
}
