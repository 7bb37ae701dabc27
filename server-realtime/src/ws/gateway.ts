/**
 * The realtime gateway: ties the transport to sessions, the router, presence and follows, and
 * serves the transport's own messages (driver presence, follows, ping). Feature modules plug in
 * through `moduleDeps()` (see contracts.ts and ../modules.ts).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppError, isAppError } from '@drivrr/shared';
import { isConnectionError, type Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import { Uuid, type DriverOnlineAck, type Role, type UserView } from '@drivrr/shared/protocol';
import type { WsConfig } from '../config.js';
import { driverHasVehicle, isDriverOfActiveRide } from '../db/follow-rules.js';
import { findUserView } from '../db/users.js';
import type { HandshakeFailureReason, RealtimeMetrics } from '../metrics.js';
import { DriverPresenceIndex } from '../presence/driver-presence.js';
import { LocationFanout, locationFrame } from '../presence/follows.js';
import type { SessionRevocations } from '../sessions/revocations.js';
import { ClusterConnections } from '../cluster/connections.js';
import { ClusterFollows } from '../cluster/follows.js';
import type { ClusterNode } from '../cluster/node.js';
import { ClusterPresence } from '../cluster/presence.js';
import { RedisReceipts } from '../cluster/receipts.js';
import { systemClock, type Clock } from './clock.js';
import type { HandlerContext, RealtimeModuleDeps, SessionStateProvider } from './contracts.js';
import { ReceiptStore } from './dedupe.js';
import { tokenFromUpgrade } from './handshake.js';
import { ConnectionHub, type SocketStats } from './hub.js';
import { MessageDispatcher } from './router.js';
import { Session, type Connection, type SessionToken } from './session.js';
import { SessionLifetimes } from './session-lifetime.js';
import type { ConnectionEvents, HandshakeResult, TransportHandlers } from './transport.js';

/** Close code of a shutdown (going away): apps reconnect, to this or another instance. */
export const CLOSE_GOING_AWAY = 1001;
/** Frames a client may send before session.state is out; they are handled right after it. */
const MAX_BACKLOG = 64;
/** Sockets pinged per event-loop turn by the heartbeat. */
const HEARTBEAT_SLICE = 200;
/** A driver's own fix time is trusted for `ts` only within this skew of the server clock. */
const MAX_FIX_SKEW_MS = 60_000;

export interface Identity {
  userId: string;
  role: Role;
  user: UserView;
  token: SessionToken;
  /** Drivers: whether a vehicle was on file at the handshake (driver.online needs one). */
  vehicleOnFile: boolean;
}

export interface GatewayOptions {
  ws: WsConfig;
  jwtPublicKeyPem: string;
  pool: Pool;
  logger: Logger;
  metrics: RealtimeMetrics;
  /** Ended logins (logout, revoked refresh-token family). */
  revocations: SessionRevocations;
  /** Token lifetimes of sockets run on this clock (tests pass a virtual one). */
  clock?: Clock;
  /** Cluster mode (REDIS_URL): this node; absent in single mode. */
  cluster?: ClusterNode;
}

/** The cross-node parts of a cluster node (cluster/). */
interface ClusterParts {
  node: ClusterNode;
  connections: ClusterConnections;
  presence: ClusterPresence;
  follows: ClusterFollows;
}

export class RealtimeGateway implements TransportHandlers<Identity> {
  readonly hub: ConnectionHub;
  readonly router: MessageDispatcher;
  readonly presence: DriverPresenceIndex;
  readonly follows: LocationFanout;
  private readonly receipts: ReceiptStore;
  private readonly providers: SessionStateProvider[] = [];
  private readonly publicKey: KeyObject;
  private readonly lifetimes: SessionLifetimes;
  /** Drivers connected without a vehicle on file (few): driver.online looks again in the database. */
  private readonly withoutVehicle = new WeakSet<Session>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly cluster: ClusterParts | undefined;
  private stopping = false;

  constructor(private readonly options: GatewayOptions) {
    const { ws, logger, metrics } = options;
    this.publicKey = createPublicKey(options.jwtPublicKeyPem);
    this.hub = new ConnectionHub({ backpressureBytes: ws.backpressureBytes, maxBufferedBytes: ws.maxBufferedBytes }, metrics, logger);
    this.receipts = new ReceiptStore(ws.dedupeTtlMs);
    const clock = options.clock ?? systemClock;
    this.lifetimes = new SessionLifetimes({ clock, hub: this.hub, publicKey: this.publicKey, revocations: options.revocations });
    const node = options.cluster;
    this.router = new MessageDispatcher({
      hub: this.hub, receipts: this.receipts, metrics, logger, floodCloseAfter: ws.floodCloseAfter,
      sessionEnded: (session) => this.lifetimes.expired(session),
      ...(node ? { sharedReceipts: new RedisReceipts(node, ws.dedupeTtlMs) } : {}),
    });
    this.presence = new DriverPresenceIndex(ws.driverGraceMs, (error, event, driverId) =>
      logger.error({ err: error, event, driverId }, 'a presence listener failed'),
    );
    const deliverHere = (followerId: string, driverId: string, frame: string): boolean => {
      const session = this.hub.get(followerId);
      if (session) this.hub.sendLocation(session, driverId, frame);
      return session !== undefined;
    };
    this.follows = new LocationFanout((followerId, driverId, frame) => {
      if (!deliverHere(followerId, driverId, frame)) this.cluster?.follows.deliverElsewhere(followerId, driverId, frame);
    });
    this.cluster = node ? this.joinCluster(node, deliverHere) : undefined;
    this.registerTransportMessages();

    const heartbeat = setInterval(() => this.heartbeat(), ws.heartbeatIntervalMs);
    const sweep = setInterval(() => this.receipts.sweep(Date.now()), Math.min(60_000, ws.dedupeTtlMs));
    heartbeat.unref();
    sweep.unref();
    this.timers.push(heartbeat, sweep);
  }

  /** Cluster mode: the cross-node parts, each behind the interface its single-mode twin has. */
  private joinCluster(node: ClusterNode, deliverHere: (followerId: string, driverId: string, frame: string) => boolean): ClusterParts {
    const hub = this.hub;
    const connections = new ClusterConnections(node);
    connections.bind({
      connectedAt: (userId) => hub.get(userId)?.connectedAt,
      evict: (userId) => hub.evict(userId),
      deliver: (userId, type, frame) => {
        const session = hub.get(userId);
        return session !== undefined && hub.sendFrame(session, type, frame);
      },
      each: function* () {
        for (const session of hub.all()) yield { userId: session.userId, connectedAt: session.connectedAt };
      },
    });
    hub.connectRemote(connections);
    const presence = new ClusterPresence(node);
    presence.bind(this.presence);
    const follows = new ClusterFollows(node, connections);
    follows.bind(this.follows, (followerId, driverId, frame) => void deliverHere(followerId, driverId, frame));
    return { node, connections, presence, follows };
  }

  /** Cluster mode: joins (registry, subscriptions) and loads who is connected where and the follows. */
  async startCluster(): Promise<void> {
    const cluster = this.cluster;
    if (!cluster) return;
    await cluster.node.start({
      connections: () => {
        const counts = this.hub.connectionCounts();
        return { drivers: counts.driver, customers: counts.customer, operators: counts.operator };
      },
      driversEnded: (driverIds) => {
        for (const driverId of driverIds) this.presence.announceOffline(driverId);
      },
      nodesGone: (_dead, live) => cluster.connections.keepNodes(live),
    });
    await cluster.connections.load();
    await cluster.follows.load();
  }

  /** What feature modules get (RealtimeModuleDeps). */
  moduleDeps(): RealtimeModuleDeps {
    return {
      router: this.router,
      notifier: this.hub,
      presence: this.presence,
      follows: this.follows,
      backgroundLocations: {
        newestFixAt: (driverId) => this.presence.get(driverId)?.updatedAt,
        apply: (driverId, fix, onRide) => {
          const info = this.presence.moveInBackground(driverId, fix.location, fix.heading, fix.fixedAt, onRide);
          if (!info) return false;
          this.follows.publish(info, fix.fixedAt);
          return true;
        },
      },
      addSessionState: (provider) => this.providers.push(provider),
    };
  }

  connectionCounts(): Record<Role, number> {
    return this.hub.connectionCounts();
  }

  socketStats(userId: string): SocketStats | undefined {
    return this.hub.stats(userId);
  }

  // ---------------------------------------------------------------------------------------------
  // Transport callbacks

  async authenticate(req: IncomingMessage): Promise<HandshakeResult<Identity>> {
    const presented = tokenFromUpgrade(req);
    let userId: string;
    let role: Role;
    let token: SessionToken;
    try {
      const caller = this.lifetimes.verify(presented);
      userId = caller.userId;
      role = caller.role;
      token = { sessionId: caller.sessionId, issuedAtS: caller.issuedAt, expiresAtS: caller.expiresAt };
    } catch (error) {
      const code = isAppError(error) ? error.code : 'invalid_token';
      const reason: HandshakeFailureReason = code === 'unauthenticated' ? 'missing_token' : code === 'token_expired' ? 'token_expired' : 'invalid_token';
      return this.refuse(reason, isAppError(error) ? error : new AppError('invalid_token', 'the access token is not valid'));
    }
    if (!Uuid.safeParse(userId).success) return this.refuse('invalid_token', new AppError('invalid_token', 'the access token is not valid'));
    let user: UserView | undefined;
    let revoked: boolean;
    let vehicleOnFile = true;
    try {
      const { pool, revocations } = this.options;
      [user, revoked, vehicleOnFile] = await Promise.all([
        findUserView(pool, userId),
        revocations.isRevoked(token.sessionId),
        role === 'driver' ? driverHasVehicle(pool, userId) : Promise.resolve(true),
      ]);
    } catch (error) {
      this.options.logger.error({ err: error }, 'loading the user of a handshake failed');
      this.options.metrics.handshakeFailed('db_unavailable');
      const appError = new AppError(isConnectionError(error) ? 'db_unavailable' : 'service_unavailable', 'the service cannot check your account right now');
      return { ok: false, status: 503, body: appError.toBody() };
    }
    if (!user || user.role !== role) return this.refuse('unknown_user', new AppError('invalid_token', 'the account of this token no longer exists'));
    if (revoked) return this.refuse('session_revoked', new AppError('session_revoked', 'this login has ended (logged out or revoked); log in again'));
    return { ok: true, identity: { userId, role, user, token, vehicleOnFile } };
  }

  connected(connection: Connection, identity: Identity): ConnectionEvents {
    const { ws } = this.options;
    const session = new Session(identity.userId, identity.role, identity.user, connection, identity.token, { perS: ws.ratePerS, burst: ws.rateBurst }, Date.now());
    if (!identity.vehicleOnFile) this.withoutVehicle.add(session);
    // Presence first: in a cluster the take-over of the driver is written before the older socket
    // on another node is told to go (its close then finds the driver owned here).
    if (session.role === 'driver') this.presence.reconnected(session.userId);
    this.hub.attach(session);
    this.lifetimes.track(session);
    void this.sendSessionState(session).finally(() => {
      this.hub.release(session);
      const backlog = session.backlog ?? [];
      session.backlog = null;
      for (const raw of backlog) this.router.dispatch(session, raw);
    });
    return {
      message: (raw) => {
        session.alive = true;
        if (session.backlog === null) {
          this.router.dispatch(session, raw);
        } else if (session.backlog.length < MAX_BACKLOG) {
          session.backlog.push(raw);
        } else {
          session.connection.close(1008, 'too many messages before session.state');
        }
      },
      pong: () => {
        session.alive = true;
      },
      closed: () => {
        this.lifetimes.forget(session);
        const wasCurrent = this.hub.detach(session);
        if (!wasCurrent || this.stopping) return;
        this.follows.endClientFollows(session.userId);
        if (session.role === 'driver') this.presence.disconnected(session.userId);
      },
    };
  }

  error(error: unknown, where: string): void {
    this.options.logger.error({ err: error, where }, 'realtime transport error');
  }

  /** Shutdown: no more grace timers, heartbeats or offline announcements (a restart resumes). */
  stop(): void {
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    this.presence.stop();
    this.cluster?.presence.stop();
  }

  // ---------------------------------------------------------------------------------------------

  private refuse(reason: HandshakeFailureReason, error: AppError): HandshakeResult<Identity> {
    this.options.metrics.handshakeFailed(reason);
    return { ok: false, status: 401, body: error.toBody() };
  }

  /**
   * One heartbeat tick: terminate sockets that did not answer since the last tick, ping the rest.
   * Done in slices of HEARTBEAT_SLICE sockets with a yield between them: pinging 10,000 sockets in
   * one go would hold the event loop for ~100 ms and show up as location latency.
   */
  private heartbeat(): void {
    const sessions = [...this.hub.all()];
    let index = 0;
    const slice = () => {
      if (this.stopping) return;
      const end = Math.min(sessions.length, index + HEARTBEAT_SLICE);
      for (; index < end; index++) {
        const session = sessions[index] as Session;
        if (session.closed) continue;
        if (!session.alive) {
          session.connection.terminate();
          continue;
        }
        session.alive = false;
        session.connection.ping();
      }
      if (index < sessions.length) setImmediate(slice);
    };
    slice();
  }

  private async sendSessionState(session: Session): Promise<void> {
    const caller = { userId: session.userId, role: session.role };
    const state: Record<string, unknown> = { user: session.user, activeRide: null, openRequest: null };
    if (session.role === 'driver') {
      // Cluster: a driver who was online on another node is taken over first (state kept).
      if (this.cluster) await this.cluster.presence.settled(session.userId);
      const info = this.presence.get(session.userId);
      state.driver = { online: info !== undefined, location: info?.location ?? null };
    }
    const parts = await Promise.all(
      this.providers.map((provider) =>
        provider(caller).catch((error: unknown) => {
          this.options.logger.error({ err: error, userId: session.userId }, 'a session.state provider failed');
          return {};
        }),
      ),
    );
    for (const part of parts) Object.assign(state, part);
    this.hub.sendFrame(session, 'session.state', JSON.stringify({ type: 'session.state', data: state }));
  }

  /** driver.online/offline, location.update, driver.follow/unfollow, ping. */
  private registerTransportMessages(): void {
    const { router, presence, follows } = this;
    router.on('driver.online', (ctx, data) => {
      const goOnline = (): DriverOnlineAck => {
        const now = Date.now();
        const info = presence.goOnline(ctx.caller.userId, data, now);
        follows.publish(info, now);
        return { online: true, location: info.location, activity: info.activity };
      };
      const session = this.sessionOf(ctx);
      // The common case stays synchronous (a location.update right behind it must find the driver online).
      if (session !== undefined && !this.withoutVehicle.has(session)) return goOnline();
      return this.vehicleCheck(ctx.caller.userId, session).then(goOnline);
    });
    router.on('driver.offline', (ctx) => {
      presence.goOffline(ctx.caller.userId);
      return { online: false };
    });
    router.on('location.update', (ctx, data) => {
      const now = Date.now();
      const info = presence.move(ctx.caller.userId, data, data.heading ?? null, now);
      if (!info) throw new AppError('driver_offline', 'send driver.online before location.update');
      const ts = data.ts !== undefined && Math.abs(data.ts - now) <= MAX_FIX_SKEW_MS ? data.ts : now;
      follows.publish(info, ts);
      return undefined;
    });
    router.on('driver.follow', async (ctx, data) => {
      await this.mayFollow(ctx, data.driverId);
      follows.follow(ctx.caller.userId, data.driverId, 'client');
      // Cluster: a driver of another node is read from Redis.
      const info = presence.getLocal(data.driverId) ?? (this.cluster ? await this.cluster.presence.lookup(data.driverId) : undefined);
      if (info) {
        const session = this.hub.get(ctx.caller.userId);
        // After the ack (queued first by the router), the driver's last known position.
        if (session) setImmediate(() => this.hub.sendLocation(session, data.driverId, locationFrame(info)));
      }
      return { driverId: data.driverId, online: info !== undefined };
    });
    router.on('driver.unfollow', (ctx) => {
      follows.endClientFollows(ctx.caller.userId);
      return undefined;
    });
    router.on('ping', () => ({ ts: Date.now() }));
    router.on('session.refresh', (ctx, data) => {
      const session = this.sessionOf(ctx);
      if (session === undefined) throw new AppError('invalid_token', 'this connection has been replaced');
      return this.lifetimes.refresh(session, data.accessToken);
    });
  }

  /** The socket a message came from (undefined once a newer login of the user replaced it). */
  private sessionOf(ctx: HandlerContext): Session | undefined {
    const session = this.hub.get(ctx.caller.userId);
    return session?.caller === ctx.caller ? session : undefined;
  }

  /** driver.online of a driver who had no vehicle at the handshake: one may have been added since. */
  private async vehicleCheck(driverId: string, session: Session | undefined): Promise<void> {
    if (!(await driverHasVehicle(this.options.pool, driverId))) {
      throw new AppError('vehicle_required', 'add your vehicle (PUT /api/users/me/vehicle) before going online');
    }
    if (session) this.withoutVehicle.delete(session);
  }

  /**
   * Who may follow a driver's live location: operators any driver; a customer only the driver of
   * its own active ride (ALLOW_ANY_FOLLOW lifts this for QA outside production).
   */
  private async mayFollow(ctx: HandlerContext, driverId: string): Promise<void> {
    if (ctx.caller.role === 'operator' || this.options.ws.allowAnyFollow) return;
    if (await isDriverOfActiveRide(this.options.pool, ctx.caller.userId, driverId)) return;
    throw new AppError('forbidden', 'you may follow only the driver of your active ride');
  }
}
