/**
 * A simulated driver: logs in with a test phone, registers a vehicle, goes online somewhere in the
 * area and drives a street-grid random walk, reporting a fix every few seconds. It answers offers
 * with its pricing strategy, and once assigned drives to the pickup, arrives, starts, drives to
 * the dropoff and completes. Some cancel after accepting; some lose their connection on the way
 * and come back (the server keeps their ride through the reconnect).
 */
import type { LocationFix, RideView } from '@drivrr/shared/protocol';
import { loginWithOtp, type UserSession } from '../client/api.js';
import { ProtocolClient, type FrameOf } from '../client/protocol-client.js';
import type { DriverIdentity } from '../sim/identity.js';
import { advanceAlongPath, cruiseSpeedMps, nextWalkWaypoint, planGridRoute, randomPointInArea, type PathState } from '../sim/movement.js';
import { decideOffer, DRIVER_PICKUP_LINES, PICKUP_CHAT_P } from '../sim/strategies.js';
import { CHAT_RACE_REFUSALS, sendExpecting, type FleetContext } from './context.js';
import type { TaskHandle } from './scheduler.js';

export type DriverPhase = 'offline' | 'idle' | 'to_pickup' | 'at_pickup' | 'boarding' | 'on_trip' | 'completing';

interface Offer {
  ride: RideView;
  distanceToPickupM: number;
  bidTask?: TaskHandle;
  bidId?: string;
}

/** Refusals a driver can meet in a race with the customer, other drivers or the clock. */
const RACE_REFUSALS = ['ride_not_open', 'invalid_transition', 'bid_expired', 'driver_busy', 'not_found'];

export class SimDriver {
  readonly label: string;
  phase: DriverPhase = 'offline';
  session: UserSession | undefined;
  client: ProtocolClient | undefined;
  reconnecting = false;
  ride: RideView | undefined;
  private path: PathState;
  private speedMps: number;
  private lastFixAt = 0;
  /** When the next fix is due: fixed-rate, so a late tick does not stretch the interval. */
  private nextFixDue = 0;
  private fixTask: TaskHandle | undefined;
  private readonly offers = new Map<string, Offer>();
  private rideTasks: TaskHandle[] = [];

  constructor(readonly identity: DriverIdentity, private readonly ctx: FleetContext) {
    this.label = `driver#${identity.index}`;
    const start = randomPointInArea(ctx.area, identity.rng);
    this.path = { position: start, heading: identity.rng.pick([0, 90, 180, 270]), waypoints: [] };
    this.speedMps = cruiseSpeedMps(identity.rng);
  }

  get position() {
    return this.path.position;
  }

  get userId(): string | undefined {
    return this.session?.userId;
  }

  async login(): Promise<void> {
    const { api, otpCode } = this.ctx;
    this.session = await loginWithOtp(api, this.identity.phone, 'driver', otpCode);
    if (this.session.user.name !== this.identity.name) await this.session.updateProfile({ name: this.identity.name });
    await this.session.putVehicle(this.identity.vehicle);
  }

  async connect(): Promise<void> {
    const session = this.session!;
    const client = new ProtocolClient({
      wsUrl: this.ctx.wsUrl,
      token: () => session.token(),
      freshToken: () => session.freshToken(),
      label: `d${this.identity.index}`,
      onIssue: (issue) => this.ctx.stats.protocolError(this.label, issue.kind, issue.detail),
      onDisconnect: () => this.scheduleReconnect(1000),
    });
    this.client = client;
    client.on('ride.requested', (frame) => this.onOffer(frame));
    client.on('ride.withdrawn', (frame) => this.dropOffer(frame.data.rideId));
    client.on('bid.rejected', (frame) => this.dropOffer(frame.data.rideId));
    client.on('ride.assigned', (frame) => this.onAssigned(frame.data.ride));
    client.on('ride.cancelled', (frame) => this.onRideEnded(frame.data.rideId));
    client.on('session.replaced', () => this.ctx.stats.protocolError(this.label, 'session_replaced', 'another login replaced this session'));
    const state = await client.connect();
    await this.settleLeftovers(state);
  }

  /** A ride left over from an earlier run with the same seed is closed, so this run starts clean. */
  private async settleLeftovers(state: FrameOf<'session.state'>): Promise<void> {
    const active = state.data.activeRide;
    if (!active) return;
    const client = this.client!;
    if (active.status === 'in_progress') await sendExpecting(this.ctx, this.label, client, 'ride.complete', { rideId: active.id }, RACE_REFUSALS);
    else await sendExpecting(this.ctx, this.label, client, 'ride.cancel', { rideId: active.id, reason: 'simulator restarted' }, RACE_REFUSALS);
  }

  async goOnline(): Promise<void> {
    const result = await sendExpecting(this.ctx, this.label, this.client!, 'driver.online', this.path.position);
    if (!result.ok) return;
    this.phase = 'idle';
    this.lastFixAt = Date.now();
    // Spread the fleet's fixes over the interval so they do not all go out in the same tick.
    this.nextFixDue = Date.now() + this.identity.rng.int(0, this.ctx.fixIntervalMs);
    this.fixTask = this.ctx.scheduler.at(this.nextFixDue, () => this.fix());
  }

  /** One location fix: move by speed x elapsed (simulated) time, react to arrival, report. */
  private fix(): void {
    if (this.phase === 'offline') return;
    const now = Date.now();
    const elapsedS = ((now - this.lastFixAt) / 1000) * this.ctx.timeScale;
    this.lastFixAt = now;
    const rng = this.identity.rng;
    const moving = this.phase === 'idle' || this.phase === 'to_pickup' || this.phase === 'on_trip';
    if (moving) {
      if (this.phase === 'idle' && this.path.waypoints.length === 0) {
        this.path.waypoints.push(nextWalkWaypoint(this.path.position, this.path.heading, this.ctx.area, rng));
      }
      // Traffic: the speed wanders a little around the driver's usual pace.
      const speed = Math.max(2, this.speedMps * rng.float(0.7, 1.2));
      const next = advanceAlongPath(this.path, speed * elapsedS);
      this.path = { position: next.position, heading: next.heading, waypoints: next.waypoints };
      if (next.arrived && this.phase === 'to_pickup') void this.arriveAtPickup();
      else if (next.arrived && this.phase === 'on_trip') void this.completeTrip();
      this.report(speed);
    } else {
      this.report(0);
    }
    // Fixed rate: the next fix is due one interval after this one was due (not after it ran);
    // a simulator that fell more than an interval behind skips ahead instead of bursting.
    this.nextFixDue = Math.max(this.nextFixDue + this.ctx.fixIntervalMs, now + this.ctx.fixIntervalMs / 2);
    this.fixTask = this.ctx.scheduler.at(this.nextFixDue, () => this.fix());
  }

  private report(speedMps: number): void {
    const client = this.client;
    if (!client || this.reconnecting) return;
    const { lat, lng } = this.path.position;
    const fix = { lat, lng, heading: Math.round(this.path.heading) % 360, speed: Math.min(100, Math.round(speedMps * 10) / 10), ts: Date.now() };
    if (this.sendsFromBackground) {
      void this.postFix(fix);
      return;
    }
    const sent = client.post('location.update', fix);
    if (sent) this.ctx.stats.locationUpdates += 1;
  }

  /**
   * Whether this driver's app sends its fixes over HTTP, as from the background: the first
   * `backgroundShare` of the fleet in a low-discrepancy order of the index (golden ratio), so any
   * share picks evenly spread drivers and the seeded choices stay untouched.
   */
  private get sendsFromBackground(): boolean {
    return (this.identity.index * 0.6180339887498949) % 1 < this.ctx.backgroundShare;
  }

  private async postFix(fix: LocationFix): Promise<void> {
    const session = this.session;
    if (!session) return;
    try {
      const response = await this.ctx.realtimeApi.raw('POST', '/api/locations', { body: { fixes: [fix] }, token: await session.token() });
      if (response.status === 202) {
        this.ctx.stats.locationUpdates += 1;
        this.ctx.stats.backgroundFixes += 1;
      } else if (!this.ctx.stopping) {
        this.ctx.stats.protocolError(this.label, 'background_fix_refused', `POST /api/locations answered ${response.status}`);
      }
    } catch (error) {
      if (!this.ctx.stopping) this.ctx.stats.protocolError(this.label, 'background_fix_failed', (error as Error).message);
    }
  }

  private onOffer(frame: FrameOf<'ride.requested'>): void {
    const { ride, distanceToPickupM } = frame.data;
    if (this.phase !== 'idle' || this.ctx.stopping) return;
    const previous = this.offers.get(ride.id);
    previous?.bidTask?.cancel();
    // A re-offer after the customer raised the fare is a fresh decision, unless we already bid.
    if (previous?.bidId) return;
    const offer: Offer = { ride, distanceToPickupM };
    this.offers.set(ride.id, offer);
    const decision = decideOffer(this.identity.profile, {
      askedFare: ride.fare,
      suggestedFare: ride.estimate.suggestedFare,
      tripDistanceM: ride.estimate.distanceM,
      distanceToPickupM,
      maxCounterFare: Math.floor(ride.fare * 1.5),
    }, this.identity.rng);
    if (decision.kind === 'ignore') {
      this.ctx.trace(this.label, `ignores ride ${ride.id.slice(0, 8)} (${decision.reason})`);
      return;
    }
    offer.bidTask = this.ctx.scheduler.after(decision.thinkMs, () => void this.placeBid(ride.id, decision.fare, decision.offer));
  }

  private async placeBid(rideId: string, fare: number, kind: 'as_offered' | 'counter'): Promise<void> {
    const offer = this.offers.get(rideId);
    if (!offer || this.phase !== 'idle' || this.ctx.stopping || !this.client) return;
    // not_offered: the offer was withdrawn while this bid was on its way (its ride.withdrawn crossed it).
    // fare_below_minimum: the customer raised the fare while this bid was on its way; the re-offer
    // with the new fare (if it came) decides again.
    const result = await sendExpecting(this.ctx, this.label, this.client, 'bid.place', { rideId, fare }, [...RACE_REFUSALS, 'already_bid', 'not_offered', 'fare_below_minimum']);
    if (!result.ok) {
      const minimumFare = result.details?.['minimumFare'];
      if (result.code === 'fare_below_minimum' && !(typeof minimumFare === 'number' && minimumFare > offer.ride.fare)) {
        this.ctx.stats.protocolError(this.label, 'unexpected_refusal', `bid.place: fare_below_minimum though ${fare} was on the offer of ${offer.ride.fare}`);
      }
      return;
    }
    this.ctx.stats.bidsPlaced += 1;
    if (kind === 'counter') this.ctx.stats.counterOffers += 1;
    const bid = (result.data as { bid?: { id?: string } } | undefined)?.bid;
    if (bid?.id) offer.bidId = bid.id;
    this.ctx.trace(this.label, `bids ${fare} on ride ${rideId.slice(0, 8)} (${kind})`);
  }

  private dropOffer(rideId: string): void {
    this.offers.get(rideId)?.bidTask?.cancel();
    this.offers.delete(rideId);
  }

  private clearOffers(): void {
    for (const offer of this.offers.values()) offer.bidTask?.cancel();
    this.offers.clear();
  }

  private onAssigned(ride: RideView): void {
    if (this.ride?.id === ride.id) return;
    this.clearOffers();
    this.ride = ride;
    this.phase = 'to_pickup';
    const rng = this.identity.rng;
    this.path = { ...this.path, waypoints: planGridRoute(this.path.position, ride.pickup, rng) };
    this.ctx.trace(this.label, `assigned ride ${ride.id.slice(0, 8)} at ${ride.agreedFare ?? ride.fare}`);
    const profile = this.identity.profile;
    if (rng.chance(profile.cancelAfterAcceptP)) {
      this.rideTasks.push(this.ctx.scheduler.after(rng.int(3000, 10000), () => void this.cancelRide(ride.id, rng.pick(['Vehicle problem', 'Customer not reachable', 'Too far after all']))));
    } else if (rng.chance(profile.dropConnectionP)) {
      this.rideTasks.push(this.ctx.scheduler.after(rng.int(1500, 6000), () => this.dropAndReturn(rng.int(2000, 6000))));
    }
  }

  private async arriveAtPickup(): Promise<void> {
    const ride = this.ride;
    if (!ride || !this.client) return;
    this.phase = 'at_pickup';
    const result = await sendExpecting(this.ctx, this.label, this.client, 'ride.arrived', { rideId: ride.id }, RACE_REFUSALS);
    if (!result.ok) return this.onRideEnded(ride.id);
    this.phase = 'boarding';
    const rng = this.identity.rng;
    if (rng.chance(PICKUP_CHAT_P)) void this.say(ride.id, rng.pick(DRIVER_PICKUP_LINES));
    const boardingMs = (rng.int(20, 90) * 1000) / this.ctx.timeScale;
    this.rideTasks.push(this.ctx.scheduler.after(boardingMs, () => void this.startTrip(ride.id)));
  }

  /** A chat line to the customer (refused in a race when the ride has just ended). */
  private async say(rideId: string, text: string): Promise<void> {
    if (!this.client) return;
    const result = await sendExpecting(this.ctx, this.label, this.client, 'chat.send', { rideId, text }, CHAT_RACE_REFUSALS);
    if (result.ok) this.ctx.stats.chatMessages += 1;
  }

  private async startTrip(rideId: string): Promise<void> {
    const ride = this.ride;
    if (!ride || ride.id !== rideId || this.phase !== 'boarding' || !this.client) return;
    const result = await sendExpecting(this.ctx, this.label, this.client, 'ride.start', { rideId }, RACE_REFUSALS);
    if (!result.ok) return this.onRideEnded(rideId);
    this.phase = 'on_trip';
    this.path = { ...this.path, waypoints: planGridRoute(this.path.position, ride.dropoff, this.identity.rng) };
  }

  private async completeTrip(): Promise<void> {
    const ride = this.ride;
    if (!ride || !this.client) return;
    this.phase = 'completing';
    await sendExpecting(this.ctx, this.label, this.client, 'ride.complete', { rideId: ride.id }, RACE_REFUSALS);
    this.onRideEnded(ride.id);
  }

  private async cancelRide(rideId: string, reason: string): Promise<void> {
    if (this.ride?.id !== rideId || (this.phase !== 'to_pickup' && this.phase !== 'at_pickup') || !this.client) return;
    const result = await sendExpecting(this.ctx, this.label, this.client, 'ride.cancel', { rideId, reason }, RACE_REFUSALS);
    if (result.ok) this.onRideEnded(rideId);
  }

  /** The ride is over for this driver (completed, cancelled by anyone, gone): back to cruising. */
  private onRideEnded(rideId: string): void {
    if (this.ride?.id !== rideId) {
      this.dropOffer(rideId);
      return;
    }
    for (const task of this.rideTasks) task.cancel();
    this.rideTasks = [];
    this.ride = undefined;
    if (this.phase !== 'offline') this.phase = 'idle';
    this.path = { ...this.path, waypoints: [] };
  }

  /** Loses the connection (a tunnel, a dead zone) and comes back after `awayMs`. */
  dropAndReturn(awayMs: number): void {
    if (!this.client || this.reconnecting || this.ctx.stopping) return;
    this.ctx.trace(this.label, `drops its connection for ${awayMs} ms`);
    this.client.drop();
    this.scheduleReconnect(awayMs);
  }

  private scheduleReconnect(afterMs: number): void {
    if (this.ctx.stopping || this.reconnecting) return;
    this.reconnecting = true;
    this.ctx.scheduler.after(afterMs, () => {
      this.reconnecting = true;
      this.reconnectInFlight = this.reconnect().finally(() => (this.reconnectInFlight = undefined));
    });
  }

  private reconnectInFlight: Promise<void> | undefined;

  private async reconnect(): Promise<void> {
    if (this.ctx.stopping || !this.client) {
      this.reconnecting = false;
      return;
    }
    try {
      const state = await this.client.connect();
      this.ctx.stats.reconnects += 1;
      this.reconnecting = false;
      const active = state.data.activeRide;
      if (this.ride && (!active || active.id !== this.ride.id)) this.onRideEnded(this.ride.id);
      if (state.data.driver && !state.data.driver.online && this.phase !== 'offline') {
        await sendExpecting(this.ctx, this.label, this.client, 'driver.online', this.path.position);
      }
    } catch (error) {
      this.reconnecting = false;
      this.ctx.stats.protocolError(this.label, 'reconnect_failed', (error as Error).message);
      this.scheduleReconnect(3000);
    }
  }

  /** Ends an in-progress trip early (the run is stopping), then goes offline and logs off. */
  async stop(): Promise<void> {
    this.fixTask?.cancel();
    this.clearOffers();
    for (const task of this.rideTasks) task.cancel();
    const client = this.client;
    // A driver caught away (a dropped connection) comes back first, so its trip is not left open.
    await this.reconnectInFlight;
    if (client && !client.connected && this.phase !== 'offline') {
      await client.connect().catch((error: Error) => this.ctx.stats.protocolError(this.label, 'reconnect_failed', error.message));
      this.reconnecting = false;
    }
    if (client?.connected) {
      if (this.ride && (this.phase === 'on_trip' || this.phase === 'boarding' || this.phase === 'completing')) {
        const rideId = this.ride.id;
        if (this.phase === 'boarding') await sendExpecting(this.ctx, this.label, client, 'ride.start', { rideId }, RACE_REFUSALS);
        await sendExpecting(this.ctx, this.label, client, 'ride.complete', { rideId }, RACE_REFUSALS);
      }
      if (this.phase !== 'offline') await sendExpecting(this.ctx, this.label, client, 'driver.offline', {}, ['driver_offline']);
    }
    this.phase = 'offline';
    client?.close();
  }
}
