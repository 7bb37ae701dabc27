/**
 * Who is connected, and how frames reach them: the Notifier of feature modules, session
 * replacement (one socket per user), and per-socket backpressure for droppable location frames.
 */
import type { Role, ServerMessageDataOf, ServerMessageType } from '@drivrr/shared/protocol';
import type { Logger } from '@drivrr/shared/logger';
import type { RealtimeMetrics } from '../metrics.js';
import type { FrameMeta, Notifier } from './contracts.js';
import type { Session } from './session.js';

/** Close code sent to a socket replaced by a newer login of the same user. */
export const CLOSE_SESSION_REPLACED = 4001;
/** Pushes held for a socket whose session.state is not out yet; beyond this they are dropped. */
const MAX_EARLY_FRAMES = 256;
/** Frames that go out at once even before session.state. */
const UNHELD_TYPES = new Set(['session.state', 'session.replaced']);
/** Send options of location frames: one shared object, not one per frame (runs once per fix). */
const DROPPABLE = { droppable: true } as const;

export interface HubLimits {
  /** Queued bytes past which droppable frames are coalesced. */
  backpressureBytes: number;
  /** Queued bytes past which the client is considered gone and terminated. */
  maxBufferedBytes: number;
}

export interface SocketStats {
  bufferedAmount: number;
  pendingLocations: number;
}

/**
 * Cluster mode: users connected to other nodes (cluster/connections.ts). Absent in single mode,
 * where nothing below reaches past this process.
 */
export interface RemoteSessions {
  attached(userId: string, connectedAt: number): void;
  detached(userId: string, connectedAt: number): void;
  /** Sends a serialized frame to the node holding the user; false when the user is connected nowhere. */
  notify(userId: string, type: string, frame: string): boolean;
  isConnected(userId: string): boolean;
  /** Resolves once Redis has taken every frame sent so far. */
  flushed(): Promise<void>;
}

export class ConnectionHub implements Notifier {
  private readonly sessions = new Map<string, Session>();
  private readonly counts: Record<Role, number> = { customer: 0, driver: 0, operator: 0 };
  private remote: RemoteSessions | undefined;

  constructor(
    private readonly limits: HubLimits,
    private readonly metrics: RealtimeMetrics,
    private readonly logger: Logger,
  ) {}

  /** Cluster mode: reach users on other nodes. */
  connectRemote(remote: RemoteSessions): void {
    this.remote = remote;
  }

  /** Makes `session` the user's connection; returns the one it replaced, if any. */
  attach(session: Session): Session | undefined {
    const previous = this.sessions.get(session.userId);
    this.sessions.set(session.userId, session);
    this.counts[session.role] += 1;
    if (previous) this.replace(previous);
    this.remote?.attached(session.userId, session.connectedAt);
    return previous;
  }

  /** A newer login of the user on another node: this socket is replaced (cluster mode). */
  evict(userId: string): void {
    const session = this.sessions.get(userId);
    if (!session) return;
    this.sessions.delete(userId);
    this.replace(session);
  }

  private replace(previous: Session): void {
    previous.replaced = true;
    this.counts[previous.role] -= 1;
    this.sendFrame(previous, 'session.replaced', JSON.stringify({ type: 'session.replaced', data: { reason: 'signed in on another connection' } }));
    previous.connection.close(CLOSE_SESSION_REPLACED, 'session replaced');
  }

  /** The socket closed. Returns true when it was the user's current connection (not replaced). */
  detach(session: Session): boolean {
    session.closed = true;
    session.pendingLocations = null;
    if (this.sessions.get(session.userId) !== session) return false;
    this.sessions.delete(session.userId);
    this.counts[session.role] -= 1;
    this.remote?.detached(session.userId, session.connectedAt);
    return true;
  }

  get(userId: string): Session | undefined {
    return this.sessions.get(userId);
  }

  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  connectionCounts(): Record<Role, number> {
    return { ...this.counts };
  }

  isConnected(userId: string): boolean {
    return this.sessions.has(userId) || (this.remote !== undefined && this.remote.isConnected(userId));
  }

  flushed(): Promise<void> {
    return this.remote?.flushed() ?? Promise.resolve();
  }

  queuedBytes(userId: string): number {
    return this.sessions.get(userId)?.connection.bufferedAmount ?? 0;
  }

  notify<T extends ServerMessageType>(userId: string, type: T, data: ServerMessageDataOf<T>, meta?: FrameMeta): boolean {
    const session = this.sessions.get(userId);
    if (!session) {
      return this.remote !== undefined && this.remote.notify(userId, type, JSON.stringify(meta?.seq === undefined ? { type, data } : { type, seq: meta.seq, data }));
    }
    return this.sendFrame(session, type, JSON.stringify(meta?.seq === undefined ? { type, data } : { type, seq: meta.seq, data }));
  }

  /** Sends a frame that must not be dropped (acks, errors, ride events). */
  sendFrame(session: Session, type: string, frame: string): boolean {
    if (session.closed) {
      this.metrics.frameDropped('socket_closed');
      return false;
    }
    if (session.early !== null && !UNHELD_TYPES.has(type)) {
      if (session.early.length >= MAX_EARLY_FRAMES) {
        this.metrics.frameDropped('slow_consumer');
        return false;
      }
      session.early.push({ type, frame });
      return true;
    }
    if (session.connection.bufferedAmount > this.limits.maxBufferedBytes) {
      this.dropSlowConsumer(session);
      return false;
    }
    const sent = session.connection.send(frame);
    if (sent) this.metrics.messageOut(type);
    return sent;
  }

  /**
   * Sends a droppable driver.location frame. While the socket has more than `backpressureBytes`
   * queued, only the latest frame per driver is kept and sent once the socket drains: a follower
   * that cannot keep up sees fewer, fresher fixes, and the server holds at most one frame per
   * followed driver for it.
   */
  sendLocation(session: Session, driverId: string, frame: string): void {
    if (session.closed) return;
    if (session.early !== null) {
      // Held (latest per driver) until session.state is out; release() sends it.
      (session.pendingLocations ??= new Map()).set(driverId, frame);
      return;
    }
    if (session.pendingLocations !== null || session.connection.bufferedAmount > this.limits.backpressureBytes) {
      const pending = (session.pendingLocations ??= new Map());
      if (pending.has(driverId)) this.metrics.frameDropped('backpressure_coalesced');
      pending.set(driverId, frame);
      this.awaitDrain(session);
      return;
    }
    if (session.connection.send(frame, DROPPABLE)) this.metrics.messageOut('driver.location');
  }

  /** session.state is out: sends what modules pushed meanwhile, in order, then held locations. */
  release(session: Session): void {
    const early = session.early ?? [];
    session.early = null;
    for (const { type, frame } of early) this.sendFrame(session, type, frame);
    if (session.pendingLocations !== null) this.flushLocations(session);
  }

  stats(userId: string): SocketStats | undefined {
    const session = this.sessions.get(userId);
    if (!session) return undefined;
    return { bufferedAmount: session.connection.bufferedAmount, pendingLocations: session.pendingLocations?.size ?? 0 };
  }

  private awaitDrain(session: Session): void {
    if (session.waitingForDrain) return;
    session.waitingForDrain = true;
    session.connection.onceDrained(() => {
      session.waitingForDrain = false;
      this.flushLocations(session);
    });
  }

  private flushLocations(session: Session): void {
    const pending = session.pendingLocations;
    if (session.closed || !pending) return;
    for (const [driverId, frame] of pending) {
      if (session.connection.bufferedAmount > this.limits.backpressureBytes) {
        this.awaitDrain(session);
        return;
      }
      pending.delete(driverId);
      if (session.connection.send(frame, DROPPABLE)) this.metrics.messageOut('driver.location');
    }
    session.pendingLocations = null;
  }

  private dropSlowConsumer(session: Session): void {
    this.metrics.frameDropped('slow_consumer');
    this.logger.warn({ userId: session.userId, bufferedAmount: session.connection.bufferedAmount }, 'terminating a socket that stopped reading');
    session.connection.terminate();
  }
}
