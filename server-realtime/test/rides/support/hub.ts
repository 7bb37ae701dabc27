/**
 * An in-process stand-in for the realtime transport, implementing the seams of
 * src/ws/contracts.ts (router, notifier, presence, follows, session state) so the rides module
 * can be driven directly against a real PostgreSQL: used where a test needs exact control over
 * concurrency. End-to-end tests go through the real WebSocket server instead.
 */
import { distanceM } from '@drivrr/shared';
import { AppError } from '@drivrr/shared';
import type { ClientMessageInputOf, ClientMessageType, LatLng, ServerMessageDataOf, ServerMessageType, VehicleType } from '@drivrr/shared/protocol';
import { clientMessageData } from '@drivrr/shared/protocol';
import type {
  Caller,
  DriverActivity,
  DriverPresence,
  DriverPresenceInfo,
  FrameMeta,
  LocationFollows,
  MessageHandler,
  MessageRouter,
  Notifier,
  PresenceEvents,
  RealtimeModuleDeps,
  SessionStateProvider,
} from '../../../src/ws/contracts.js';

export interface RecordedFrame {
  userId: string;
  type: ServerMessageType;
  data: unknown;
  seq?: number | undefined;
}

export class TestHub implements MessageRouter, Notifier, DriverPresence, PresenceEvents, LocationFollows {
  readonly frames: RecordedFrame[] = [];
  readonly follows = new Map<string, string>();
  private readonly handlers = new Map<string, MessageHandler<ClientMessageType>>();
  private readonly drivers = new Map<string, DriverPresenceInfo>();
  private readonly offlineListeners: ((driverId: string) => void)[] = [];
  private readonly locationListeners: ((info: DriverPresenceInfo) => void)[] = [];
  private readonly waiters: { match: (f: RecordedFrame) => boolean; resolve: (f: RecordedFrame) => void }[] = [];
  readonly sessionProviders: SessionStateProvider[] = [];

  deps(): RealtimeModuleDeps {
    return { router: this, notifier: this, presence: this, follows: this, addSessionState: (p) => this.sessionProviders.push(p) };
  }

  // router
  on<T extends ClientMessageType>(type: T, handler: MessageHandler<T>): void {
    this.handlers.set(type, handler as unknown as MessageHandler<ClientMessageType>);
  }
  /** Calls a handler as the transport would: resolves with the ack data or rejects with the AppError. */
  async send<T extends ClientMessageType>(caller: Caller, type: T, data: ClientMessageInputOf<T>, messageId?: string): Promise<unknown> {
    const handler = this.handlers.get(type);
    if (!handler) throw new Error(`no handler for ${type}`);
    // Parsed as the transport would (defaults filled in, text trimmed).
    return handler({ caller, messageId }, clientMessageData[type].parse(data) as never);
  }
  /** Like send, but resolves with the error code instead of throwing. */
  async sendExpectingError<T extends ClientMessageType>(caller: Caller, type: T, data: ClientMessageInputOf<T>): Promise<string> {
    try {
      await this.send(caller, type, data);
    } catch (error) {
      if (error instanceof AppError) return error.code;
      throw error;
    }
    return 'ok';
  }

  // notifier
  notify<T extends ServerMessageType>(userId: string, type: T, data: ServerMessageDataOf<T>, meta?: FrameMeta): boolean {
    const frame = { userId, type, data, seq: meta?.seq };
    this.frames.push(frame);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(frame)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
    }
    return true;
  }
  isConnected(): boolean {
    return true;
  }
  framesFor(userId: string, type?: ServerMessageType): RecordedFrame[] {
    return this.frames.filter((f) => f.userId === userId && (type === undefined || f.type === type));
  }
  /** Resolves with the first frame (already received or coming) of `type` to `userId` matching `where`. */
  waitFor<T extends ServerMessageType>(userId: string, type: T, where: (data: ServerMessageDataOf<T>) => boolean = () => true, timeoutMs = 5_000): Promise<ServerMessageDataOf<T>> {
    const match = (f: RecordedFrame) => f.userId === userId && f.type === type && where(f.data as ServerMessageDataOf<T>);
    const already = this.frames.find(match);
    if (already) return Promise.resolve(already.data as ServerMessageDataOf<T>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type} to ${userId}`)), timeoutMs);
      this.waiters.push({ match, resolve: (f) => (clearTimeout(timer), resolve(f.data as ServerMessageDataOf<T>)) });
    });
  }

  // presence
  goOnline(driverId: string, location: LatLng, vehicleType: VehicleType = 'car'): void {
    const info: DriverPresenceInfo = { driverId, location, heading: null, activity: this.drivers.get(driverId)?.activity ?? 'idle', vehicleType, updatedAt: Date.now() };
    this.drivers.set(driverId, info);
    for (const listener of this.locationListeners) listener(info);
  }
  goOffline(driverId: string): void {
    this.drivers.delete(driverId);
    for (const listener of this.offlineListeners) listener(driverId);
  }
  get(driverId: string): DriverPresenceInfo | undefined {
    return this.drivers.get(driverId);
  }
  async locate(driverId: string): Promise<DriverPresenceInfo | undefined> {
    return this.drivers.get(driverId);
  }
  nearestIdle(point: LatLng, radiusM: number, limit: number, vehicleType?: VehicleType) {
    return [...this.drivers.values()]
      .filter((d) => d.activity === 'idle' && (vehicleType === undefined || d.vehicleType === vehicleType))
      .map((d) => ({ driverId: d.driverId, distanceM: distanceM(point, d.location), location: d.location }))
      .filter((d) => d.distanceM <= radiusM)
      .sort((a, b) => a.distanceM - b.distanceM)
      .slice(0, limit);
  }
  setActivity(driverId: string, activity: DriverActivity): void {
    const info = this.drivers.get(driverId);
    if (info) info.activity = activity;
  }
  onlineCount(): number {
    return this.drivers.size;
  }
  all(): Iterable<DriverPresenceInfo> {
    return this.drivers.values();
  }
  onDriverOffline(listener: (driverId: string) => void): void {
    this.offlineListeners.push(listener);
  }
  onDriverLocation(listener: (info: DriverPresenceInfo) => void): void {
    this.locationListeners.push(listener);
  }

  // follows
  follow(followerId: string, driverId: string): void {
    this.follows.set(followerId, driverId);
  }
  unfollow(followerId: string, driverId?: string): void {
    if (driverId === undefined || this.follows.get(followerId) === driverId) this.follows.delete(followerId);
  }

  async sessionState(caller: Caller): Promise<Record<string, unknown>> {
    const parts = await Promise.all(this.sessionProviders.map((p) => p(caller)));
    return Object.assign({}, ...parts);
  }
}
