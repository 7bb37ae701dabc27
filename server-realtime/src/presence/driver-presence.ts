/**
 * Online drivers: where they are, whether they are free, and the reconnect grace. The transport
 * calls goOnline/move/goOffline from the driver messages and disconnected/reconnected from socket
 * events; feature modules read it through DriverPresence and listen through PresenceEvents.
 */
import type { LatLng, VehicleType } from '@drivrr/shared/protocol';
import type { DriverActivity, DriverPresence, DriverPresenceInfo, PresenceEvents } from '../ws/contracts.js';
import { SpatialGrid } from './spatial-index.js';

export interface PresenceListenerErrorSink {
  (error: unknown, event: 'offline' | 'location', driverId: string): void;
}

export class DriverPresenceIndex implements DriverPresence, PresenceEvents {
  private readonly grid = new SpatialGrid<DriverPresenceInfo>();
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  /**
   * Drivers in the index only through fixes sent over HTTP (their socket is gone): kept visible
   * for their ride, never offered a new one (offers need the socket).
   */
  private readonly backgroundOnly = new Set<string>();
  private readonly offlineListeners: ((driverId: string) => void)[] = [];
  private readonly locationListeners: ((info: DriverPresenceInfo) => void)[] = [];

  constructor(
    private readonly graceMs: number,
    private readonly onListenerError: PresenceListenerErrorSink,
  ) {}

  get(driverId: string): DriverPresenceInfo | undefined {
    return this.grid.get(driverId)?.value;
  }

  isOnline(driverId: string): boolean {
    return this.grid.get(driverId) !== undefined;
  }

  nearestIdle(point: LatLng, radiusM: number, limit: number, vehicleType?: VehicleType): { driverId: string; distanceM: number; location: LatLng }[] {
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
  }

  onlineCount(): number {
    return this.grid.size;
  }

  *all(): Iterable<DriverPresenceInfo> {
    for (const p of this.grid.values()) yield p.value;
  }

  onDriverOffline(listener: (driverId: string) => void): void {
    this.offlineListeners.push(listener);
  }

  onDriverLocation(listener: (info: DriverPresenceInfo) => void): void {
    this.locationListeners.push(listener);
  }

  /**
   * driver.online: (re)enters the index at `location` with the vehicle type the caller read,
   * keeping an activity and heading it already had.
   */
  goOnline(driverId: string, location: LatLng, now: number, vehicleType: VehicleType): DriverPresenceInfo {
    this.backgroundOnly.delete(driverId);
    const entry = this.grid.get(driverId);
    if (entry) entry.value.vehicleType = vehicleType;
    const info = this.move(driverId, location, null, now);
    if (info) return info;
    const fresh: DriverPresenceInfo = { driverId, location: { lat: location.lat, lng: location.lng }, heading: null, activity: 'idle', vehicleType, updatedAt: now };
    this.grid.set(driverId, location.lat, location.lng, fresh);
    this.announce(fresh);
    return fresh;
  }

  /** location.update: moves an online driver; returns undefined when the driver is not online. */
  move(driverId: string, location: LatLng, heading: number | null, now: number): DriverPresenceInfo | undefined {
    const entry = this.grid.move(driverId, location.lat, location.lng);
    if (!entry) return undefined;
    const info = entry.value;
    // Moved in place: one fix allocates nothing here. Readers that keep a location past the call
    // get a copy (nearestIdle, within).
    info.location.lat = location.lat;
    info.location.lng = location.lng;
    if (heading !== null) info.heading = heading;
    info.updatedAt = now;
    this.announce(info);
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
    const moved = this.move(driverId, location, heading, fixedAt);
    if (moved) {
      if (onRide && this.graceTimers.has(driverId)) this.startGrace(driverId);
      return moved;
    }
    if (!onRide) return undefined;
    const fresh: DriverPresenceInfo = { driverId, location: { lat: location.lat, lng: location.lng }, heading, activity: 'on_ride', vehicleType, updatedAt: fixedAt };
    this.backgroundOnly.add(driverId);
    this.grid.set(driverId, location.lat, location.lng, fresh);
    this.startGrace(driverId);
    this.announce(fresh);
    return fresh;
  }

  /** True while the driver is in the index only through HTTP fixes (no socket since). */
  isBackgroundOnly(driverId: string): boolean {
    return this.backgroundOnly.has(driverId);
  }

  /** driver.offline or the end of the grace: leaves the index and tells the listeners. */
  goOffline(driverId: string): boolean {
    this.cancelGrace(driverId);
    this.backgroundOnly.delete(driverId);
    if (!this.grid.delete(driverId)) return false;
    for (const listener of this.offlineListeners) {
      try {
        listener(driverId);
      } catch (error) {
        this.onListenerError(error, 'offline', driverId);
      }
    }
    return true;
  }

  /** The driver's socket dropped: stays online for the grace, then goes offline. */
  disconnected(driverId: string): void {
    if (!this.grid.get(driverId)) return;
    this.startGrace(driverId);
  }

  /** (Re)arms the grace: at its end the driver goes offline. */
  private startGrace(driverId: string): void {
    this.cancelGrace(driverId);
    const timer = setTimeout(() => {
      this.graceTimers.delete(driverId);
      this.goOffline(driverId);
    }, this.graceMs);
    timer.unref();
    this.graceTimers.set(driverId, timer);
  }

  /** The driver is connected again (within the grace): the state is kept. */
  reconnected(driverId: string): void {
    this.cancelGrace(driverId);
    this.backgroundOnly.delete(driverId);
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
