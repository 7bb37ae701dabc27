/**
 * The seams between the realtime transport (ws/, presence/) and the feature modules that build on
 * it (rides/, ops/). Feature modules never see `ws`: they register message handlers, push frames
 * to users by id, and read driver presence through these interfaces. Keep this file small; it is
 * what the next engineer reads first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller as VerifiedCaller } from '@drivrr/shared';
import type { ClientMessageAckOf, ClientMessageDataOf, ClientMessageType, LatLng, ServerMessageDataOf, ServerMessageType, VehicleType } from '@drivrr/shared/protocol';

/** The minimal socket the hub hands around: everything else is behind it. */
export interface ClientSocket {
  /** Queues a frame; returns false when it was dropped (socket closed, or a droppable frame met backpressure). */
  send(frame: string, options?: { droppable?: boolean }): boolean;
  close(code: number, reason: string): void;
  /** Bytes queued in the kernel/ws buffer, for backpressure decisions. */
  readonly bufferedAmount: number;
}

/** Who sent a message: always from the verified token, never from the message body. */
export type Caller = Pick<VerifiedCaller, 'userId' | 'role'>;

export interface HandlerContext {
  caller: Caller;
  /** The client's message id, when it sent one. */
  messageId: string | undefined;
}

/**
 * Handles one validated client message. Returns the ack's `data` (its schema: `clientMessageAcks`
 * in @drivrr/shared/protocol; undefined for none); throws an
 * AppError for a domain refusal, which the router turns into an `error` frame with the same id.
 */
export type MessageHandler<T extends ClientMessageType> = (
  ctx: HandlerContext,
  data: ClientMessageDataOf<T>,
) => Promise<ClientMessageAckOf<T>> | ClientMessageAckOf<T>;

export interface MessageRouter {
  on<T extends ClientMessageType>(type: T, handler: MessageHandler<T>): void;
}

/** Envelope fields beyond type and data: `seq` orders the frames of one ride (contract 1.1). */
export interface FrameMeta {
  seq?: number;
}

/** Pushes server frames to users wherever they are connected (no-op when they are not). */
export interface Notifier {
  notify<T extends ServerMessageType>(userId: string, type: T, data: ServerMessageDataOf<T>, meta?: FrameMeta): boolean;
  isConnected(userId: string): boolean;
  /**
   * Resolves once every frame notified so far has left this process in order (cluster: Redis
   * has taken the publishes, so a frame another node publishes later arrives after them).
   */
  flushed?(): Promise<void>;
  /**
   * Bytes queued on the user's socket (0 when not connected). Senders of large periodic frames
   * (the ops map's snapshots) skip a beat for a socket that has not drained, instead of queueing.
   */
  queuedBytes?(userId: string): number;
}

export type DriverActivity = 'idle' | 'on_ride';

export interface DriverPresenceInfo {
  driverId: string;
  location: LatLng;
  heading: number | null;
  activity: DriverActivity;
  /** The type of the driver's vehicle (vehicles.type, read at the handshake or driver.online). */
  vehicleType: VehicleType;
  /** ms since epoch of the last fix. */
  updatedAt: number;
}

export interface NearbyDriver {
  driverId: string;
  distanceM: number;
  location: LatLng;
}

/** Online drivers and where they are (the in-memory spatial index). */
export interface DriverPresence {
  /** This node's view without waiting (cluster mode: a driver of another node may be missing or a second old). */
  get(driverId: string): DriverPresenceInfo | undefined;
  /** The driver's latest info wherever he is connected (cluster mode: read from Redis when not held here). */
  locate(driverId: string): Promise<DriverPresenceInfo | undefined>;
  /**
   * Idle online drivers within `radiusM` of `point`, nearest first, at most `limit`; with
   * `vehicleType`, only drivers of that type (a filter of the query, not an index of its own).
   * Synchronous in single mode; a promise in cluster mode (a Redis GEO query): callers await it.
   */
  nearestIdle(point: LatLng, radiusM: number, limit: number, vehicleType?: VehicleType): NearbyDriver[] | Promise<NearbyDriver[]>;
  setActivity(driverId: string, activity: DriverActivity): void;
  onlineCount(): number;
  all(): Iterable<DriverPresenceInfo>;
}

/** Live location subscriptions: a follower receives `driver.location` frames for a driver. */
export interface LocationFollows {
  follow(followerId: string, driverId: string): void;
  unfollow(followerId: string, driverId?: string): void;
  /** The drivers a user follows through modules (in a cluster: made on any node). */
  moduleFollowsOf?(followerId: string): readonly string[];
}

/** A fix that arrived outside the socket (POST /api/locations), already sorted out by the domain. */
export interface BackgroundFix {
  location: LatLng;
  heading: number | null;
  /** When the fix was taken (ms since epoch, not later than the server's now). */
  fixedAt: number;
}

/** Fixes from apps whose socket the phone suspended (contract 1.1). */
export interface BackgroundLocations {
  /** ms since epoch of the driver's newest known fix; undefined when the driver is not in presence. */
  newestFixAt(driverId: string): number | undefined;
  /**
   * Counts the fix like a location.update (followers, the ops map, presence) for a driver who is
   * online or, `onRide`, on a ride (kept visible while the socket is gone, never offerable).
   * Returns false when the driver is neither. `vehicleType`: the driver's, for one who comes back
   * into presence this way (on a ride, socket gone); a driver already in presence keeps theirs.
   */
  apply(driverId: string, fix: BackgroundFix, onRide: boolean, vehicleType?: VehicleType): boolean;
}

/** A piece of `session.state` contributed by a feature module (rides adds activeRide/openRequest). */
export type SessionStateProvider = (caller: Caller) => Promise<Record<string, unknown>>;

/** Events the transport raises for feature modules. */
export interface PresenceEvents {
  /** A driver went offline (explicitly, or after the reconnect grace ran out). */
  onDriverOffline(listener: (driverId: string) => void): void;
  /** A driver went online or moved. Listeners must be cheap: this runs on every fix. */
  onDriverLocation(listener: (info: DriverPresenceInfo) => void): void;
  /**
   * Cluster mode: the picture of drivers on other nodes changed (refreshed in the background while
   * somebody reads all()). Single mode never calls it.
   */
  onClusterPicture?(listener: () => void): void;
}

/** Everything a feature module gets when the realtime service wires it in. */
export interface RealtimeModuleDeps {
  router: MessageRouter;
  notifier: Notifier;
  presence: DriverPresence & PresenceEvents;
  follows: LocationFollows;
  /** Optional so that test doubles of the transport need not provide it. */
  backgroundLocations?: BackgroundLocations;
  addSessionState(provider: SessionStateProvider): void;
}

/** A feature module: wired at start, stopped (timers cleared) at shutdown. */
export interface RealtimeModule {
  name: string;
  start?(): Promise<void>;
  stop?(): Promise<void>;
  /**
   * Optional HTTP routes on the service's HTTP server (e.g. the ops page): return true when the
   * request was answered. Consulted in module order after /api/health and /metrics.
   */
  httpHandler?(req: IncomingMessage, res: ServerResponse): boolean;
}
