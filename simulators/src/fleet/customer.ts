/**
 * A simulated customer: logs in with a test phone, asks for rides between named or random places
 * at a fare below, at or above the suggestion, raises the ask when bids do not come, accepts the
 * cheapest, nearest or best-value bid, sometimes cancels, pays by cash or wallet (topping the
 * wallet up with an Idempotency-Key when it runs low) and rates the driver after the ride.
 */
import { distanceM, moveM } from '@drivrr/shared';
import type { LatLng, VehicleType } from '@drivrr/shared/protocol';
import { RideAck, RideRequestAck, type PaymentMethod, type RideView } from '@drivrr/shared/protocol';
import { ApiError, loginWithOtp, type UserSession } from '../client/api.js';
import { ProtocolClient, type FrameOf } from '../client/protocol-client.js';
import type { CustomerIdentity } from '../sim/identity.js';
import { pointNear, randomPointInArea } from '../sim/movement.js';
import { placesWithin } from '../sim/places.js';
import { requestVehicleType } from '../sim/vehicle-mix.js';
import { CUSTOMER_PICKUP_REPLIES, PICKUP_REPLY_P, chooseBid, initialAsk, maxAcceptableFare, nextRaise, rateStars, roundFareUp, type BidOption } from '../sim/strategies.js';
import { CHAT_RACE_REFUSALS, sendExpecting, type FleetContext } from './context.js';
import type { TaskHandle } from './scheduler.js';
import type { RequestRecord } from './stats.js';

export type CustomerPhase = 'idle' | 'requesting' | 'bidding' | 'accepting' | 'assigned' | 'riding' | 'done';

/** Refusals a customer can meet in a race with drivers or the clock (a bid expiring or its driver taken elsewhere). */
const RACE_REFUSALS = ['ride_not_open', 'invalid_transition', 'bid_expired', 'bid_not_found', 'driver_busy', 'not_found'];

interface Trip {
  pickup: LatLng & { address?: string };
  dropoff: LatLng & { address?: string };
}

export class SimCustomer {
  readonly label: string;
  phase: CustomerPhase = 'idle';
  session: UserSession | undefined;
  client: ProtocolClient | undefined;
  ride: RideView | undefined;
  private record: RequestRecord | undefined;
  private readonly bids = new Map<string, BidOption & { expiresAt: number }>();
  private tasks: TaskHandle[] = [];
  private decideTask: TaskHandle | undefined;
  private nextRequestTask: TaskHandle | undefined;
  private topUps = 0;
  /** The ride whose chat this customer already answered. */
  private repliedOn: string | undefined;
  /** Driven by the fleet's request rate instead of the customer's own pace. */
  paced = false;

  constructor(readonly identity: CustomerIdentity, private readonly ctx: FleetContext) {
    this.label = `customer#${identity.index}`;
  }

  async login(): Promise<void> {
    this.session = await loginWithOtp(this.ctx.api, this.identity.phone, 'customer', this.ctx.otpCode);
    if (this.session.user.name !== this.identity.name) await this.session.updateProfile({ name: this.identity.name });
  }

  async connect(): Promise<void> {
    const session = this.session!;
    const client = new ProtocolClient({
      wsUrl: this.ctx.wsUrl,
      token: () => session.token(),
      freshToken: () => session.freshToken(),
      label: `c${this.identity.index}`,
      onIssue: (issue) => this.ctx.stats.protocolError(this.label, issue.kind, issue.detail),
      onDisconnect: () => this.ctx.scheduler.after(1000, () => void this.reconnect()),
    });
    this.client = client;
    client.on('bid.received', (frame) => this.onBid(frame));
    client.on('bid.expired', (frame) => this.bids.delete(frame.data.bidId));
    client.on('bid.withdrawn', (frame) => this.bids.delete(frame.data.bidId));
    client.on('ride.assigned', (frame) => this.onAssigned(frame.data.ride));
    client.on('ride.status', (frame) => this.onStatus(frame.data.rideId, frame.data.status));
    client.on('ride.cancelled', (frame) => this.onCancelled(frame.data.rideId, frame.data.by));
    client.on('ride.expired', (frame) => this.finish(frame.data.rideId, 'expired'));
    client.on('chat.message', (frame) => this.onChat(frame.data.rideId));
    client.on('session.replaced', () => this.ctx.stats.protocolError(this.label, 'session_replaced', 'another login replaced this session'));
    const state = await client.connect();
    // A ride left over from an earlier run with the same seed: close it so this run starts clean.
    for (const ride of [state.data.openRequest, state.data.activeRide]) {
      if (ride && (ride.status === 'requested' || ride.status === 'assigned' || ride.status === 'arrived')) {
        await sendExpecting(this.ctx, this.label, client, 'ride.cancel', { rideId: ride.id, reason: 'simulator restarted' }, RACE_REFUSALS);
      }
    }
  }

  private async reconnect(): Promise<void> {
    if (this.ctx.stopping || !this.client) return;
    try {
      await this.client.connect();
      this.ctx.stats.reconnects += 1;
    } catch (error) {
      this.ctx.stats.protocolError(this.label, 'reconnect_failed', (error as Error).message);
    }
  }

  /** Starts the customer's own loop: the first request after a random part of its pause. */
  start(): void {
    if (this.paced) return;
    this.scheduleNextRequest(this.identity.rng.int(0, this.identity.profile.pauseBetweenRidesS * 1000));
  }

  private scheduleNextRequest(afterMs: number): void {
    if (this.paced || this.ctx.stopping) return;
    this.nextRequestTask?.cancel();
    this.nextRequestTask = this.ctx.scheduler.after(afterMs, () => void this.requestRide());
  }

  private pickTrip(): Trip {
    const rng = this.identity.rng;
    const { area } = this.ctx;
    const places = placesWithin(area.center, area.radiusM);
    if (places.length >= 2 && rng.chance(0.5)) {
      const from = rng.pick(places);
      const to = rng.pick(places.filter((place) => place !== from));
      return {
        pickup: { ...pointNear(from, 150, rng), address: from.address },
        dropoff: { ...pointNear(to, 150, rng), address: to.address },
      };
    }
    const pickup = randomPointInArea(area, rng);
    let dropoff = moveM(pickup, rng.float(0, 360), rng.float(1500, Math.max(2000, Math.min(9000, area.radiusM * 1.5))));
    if (distanceM(area.center, dropoff) > area.radiusM * 1.3) dropoff = randomPointInArea(area, rng);
    return { pickup, dropoff };
  }

  private requestInFlight: Promise<boolean> | undefined;

  /** Asks for a ride (the fleet calls it when pacing requests with --rate). */
  requestRide(): Promise<boolean> {
    if (this.phase !== 'idle' || this.ctx.stopping || !this.client?.connected) return Promise.resolve(false);
    // Kept so a stop that comes while the request is on its way waits for it (and cancels it).
    this.requestInFlight = this.makeRequest().finally(() => (this.requestInFlight = undefined));
    return this.requestInFlight;
  }

  private async makeRequest(): Promise<boolean> {
    if (!this.client) return false;
    this.phase = 'requesting';
    const rng = this.identity.rng;
    const profile = this.identity.profile;
    const trip = this.pickTrip();
    const vehicleType: VehicleType = requestVehicleType(rng, this.ctx.vehicleMix);
    const fares = this.ctx.fares[vehicleType];
    const roadM = distanceM(trip.pickup, trip.dropoff) * 1.3;
    const guessSuggested = fares.guess(roadM);
    let fare = Math.max(roundFareUp(guessSuggested * profile.askFactor), 20_000);
    const paymentMethod: PaymentMethod = profile.paymentMethod;
    if (paymentMethod === 'wallet' && !(await this.ensureWallet(guessSuggested * 2))) {
      this.phase = 'idle';
      this.scheduleNextRequest(profile.pauseBetweenRidesS * 1000);
      return false;
    }
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const result = await sendExpecting(this.ctx, this.label, this.client, 'ride.request', { pickup: trip.pickup, dropoff: trip.dropoff, fare, paymentMethod, vehicleType }, ['fare_below_minimum', 'insufficient_funds']);
      if (result.ok) {
        const ack = RideRequestAck.safeParse(result.data);
        if (!ack.success) {
          this.ctx.stats.protocolError(this.label, 'invalid_ack', `ride.request ack: ${ack.error.issues[0]?.path.join('.')} ${ack.error.issues[0]?.message}`);
          this.phase = 'idle';
          return false;
        }
        this.onRequested(ack.data.ride, fare, paymentMethod);
        return true;
      }
      if (result.code === 'fare_below_minimum') {
        // Our guess of the fares was off: ask again at our share of the suggestion the refusal names.
        const suggested = Number(result.details?.suggestedFare ?? 0);
        const minimum = Number(result.details?.minimumFare ?? 0);
        if (suggested > 0) fares.learn(roadM, suggested);
        fare = Math.max(minimum, initialAsk(profile, { suggestedFare: suggested || minimum, minimumFare: minimum }));
        continue;
      }
      if (result.code === 'insufficient_funds' && paymentMethod === 'wallet' && (await this.ensureWallet(fare * 3, true))) continue;
      break;
    }
    this.phase = 'idle';
    this.scheduleNextRequest(rng.int(3, 10) * 1000);
    return false;
  }

  /** Makes sure the wallet holds `needed`; tops up with an Idempotency-Key when short. */
  private async ensureWallet(needed: number, force = false): Promise<boolean> {
    const session = this.session!;
    try {
      const wallet = await session.wallet();
      // Unpaid cancellation fees are paid first from the wallet, so they count as needed too.
      if (!force && wallet.balance >= needed + (wallet.debt ?? 0)) return true;
      this.topUps += 1;
      const amount = Math.min(5_000_000, roundFareUp(Math.max(needed * 2 + (wallet.debt ?? 0), 200_000)));
      // Deterministic per customer and top-up, so a retried call can never charge twice.
      const key = `sim-${this.identity.phone.slice(1)}-${session.userId.slice(0, 8)}-${Date.now().toString(36)}-${this.topUps}`;
      await session.topUp(amount, key);
      this.ctx.stats.walletTopUps += 1;
      return true;
    } catch (error) {
      this.ctx.stats.protocolError(this.label, 'http', (error as Error).message);
      return false;
    }
  }

  private onRequested(ride: RideView, fare: number, paymentMethod: PaymentMethod): void {
    const now = Date.now();
    this.ride = ride;
    this.phase = 'bidding';
    this.bids.clear();
    this.ctx.fares[ride.vehicleType].learn(ride.estimate.distanceM, ride.estimate.suggestedFare);
    this.record = {
      rideId: ride.id,
      customer: this.identity.index,
      requestedAt: now,
      initialAsk: fare,
      currentAsk: fare,
      suggestedFare: ride.estimate.suggestedFare,
      bids: 0,
      raises: 0,
      outcome: 'open',
      status: 'requested',
      paymentMethod,
    };
    this.ctx.stats.addRequest(this.record);
    this.ctx.trace(this.label, `requests ride ${ride.id.slice(0, 8)} at ${fare} (suggested ${ride.estimate.suggestedFare})`);
    const rng = this.identity.rng;
    const profile = this.identity.profile;
    this.tasks.push(this.ctx.scheduler.after(profile.raiseAfterMs, () => void this.maybeRaise(ride.id)));
    if (rng.chance(profile.cancelWhileBiddingP)) {
      this.tasks.push(this.ctx.scheduler.after(rng.int(3000, 20000), () => void this.cancel(ride.id, 'Found another ride', ['bidding'])));
    }
  }

  private onBid(frame: FrameOf<'bid.received'>): void {
    const { rideId, bid } = frame.data;
    if (!this.record || this.record.rideId !== rideId) return;
    this.record.bids += 1;
    this.record.firstBidAt ??= Date.now();
    this.ctx.stats.bidsReceived += 1;
    this.bids.set(bid.id, { bidId: bid.id, fare: bid.fare, etaS: bid.etaS, driverRating: bid.driver.rating, expiresAt: Date.parse(bid.expiresAt) });
    if (this.phase === 'bidding' && !this.decideTask) {
      this.decideTask = this.ctx.scheduler.after(this.identity.profile.collectBidsMs, () => void this.decide(rideId));
    }
  }

  private async decide(rideId: string): Promise<void> {
    this.decideTask = undefined;
    if (this.phase !== 'bidding' || this.ride?.id !== rideId || !this.client || !this.record) return;
    const now = Date.now();
    for (const [id, bid] of this.bids) if (bid.expiresAt <= now + 500) this.bids.delete(id);
    const choice = chooseBid([...this.bids.values()], this.identity.profile.choice, maxAcceptableFare(this.record.currentAsk, this.record.suggestedFare));
    if (!choice) return; // none acceptable: wait for more bids or raise
    this.phase = 'accepting';
    const result = await sendExpecting(this.ctx, this.label, this.client, 'bid.accept', { rideId, bidId: choice.bidId }, RACE_REFUSALS);
    if (result.ok) {
      const ack = RideAck.safeParse(result.data);
      if (ack.success) this.onAssigned(ack.data.ride);
      else if (this.phase === 'accepting') this.ctx.stats.protocolError(this.label, 'invalid_ack', 'bid.accept ack without the ride');
      return;
    }
    if (this.phase !== 'accepting') return;
    this.bids.delete(choice.bidId);
    this.phase = 'bidding';
    if (result.code === 'bid_expired' || result.code === 'bid_not_found' || result.code === 'driver_busy') {
      if (this.bids.size > 0) this.decideTask = this.ctx.scheduler.after(200, () => void this.decide(rideId));
    }
  }

  private async maybeRaise(rideId: string): Promise<void> {
    if (this.phase !== 'bidding' || this.ride?.id !== rideId || !this.client || !this.record) return;
    const record = this.record;
    const profile = this.identity.profile;
    const next = nextRaise(profile, { currentAsk: record.currentAsk, raisesSoFar: record.raises, suggestedFare: record.suggestedFare });
    if (next === undefined) return;
    const result = await sendExpecting(this.ctx, this.label, this.client, 'ride.raise_fare', { rideId, fare: next }, [...RACE_REFUSALS, 'fare_above_maximum']);
    if (!result.ok) return;
    record.currentAsk = next;
    record.raises += 1;
    this.ctx.trace(this.label, `raises ride ${rideId.slice(0, 8)} to ${next}`);
    this.tasks.push(this.ctx.scheduler.after(profile.raiseAfterMs, () => void this.maybeRaise(rideId)));
  }

  private onAssigned(ride: RideView): void {
    if (!this.record || this.record.rideId !== ride.id || this.record.assignedAt !== undefined) return;
    this.decideTask?.cancel();
    this.decideTask = undefined;
    this.ride = ride;
    this.phase = 'assigned';
    this.record.assignedAt = Date.now();
    this.record.outcome = 'assigned';
    this.record.status = 'assigned';
    if (ride.agreedFare !== null) this.record.agreedFare = ride.agreedFare;
    const rng = this.identity.rng;
    if (rng.chance(this.identity.profile.cancelAfterAssignP)) {
      this.tasks.push(this.ctx.scheduler.after(rng.int(2000, 8000), () => void this.cancel(ride.id, 'Driver is taking too long', ['assigned'])));
    }
  }

  /** The driver wrote (at the pickup): some customers answer after a few seconds, once per ride. */
  private onChat(rideId: string): void {
    if (!this.record || this.record.rideId !== rideId || this.repliedOn === rideId) return;
    this.repliedOn = rideId;
    const rng = this.identity.rng;
    if (!rng.chance(PICKUP_REPLY_P)) return;
    const text = rng.pick(CUSTOMER_PICKUP_REPLIES);
    this.tasks.push(
      this.ctx.scheduler.after((rng.int(2, 8) * 1000) / this.ctx.timeScale, async () => {
        if (!this.client || this.record?.rideId !== rideId || (this.phase !== 'assigned' && this.phase !== 'riding')) return;
        const result = await sendExpecting(this.ctx, this.label, this.client, 'chat.send', { rideId, text }, CHAT_RACE_REFUSALS);
        if (result.ok) this.ctx.stats.chatMessages += 1;
      }),
    );
  }

  private onStatus(rideId: string, status: string): void {
    if (!this.record || this.record.rideId !== rideId) return;
    this.record.status = status;
    if (status === 'arrived') {
      // Some people change their mind with the driver already outside: a late cancel, which costs the fee.
      const rng = this.identity.rng;
      if (rng.chance(this.identity.profile.cancelAfterArrivalP)) {
        this.tasks.push(this.ctx.scheduler.after(rng.int(1000, 4000) / this.ctx.timeScale, () => void this.cancel(rideId, 'Changed my mind', ['assigned'])));
      }
      return;
    }
    if (status === 'assigned') return;
    if (status === 'in_progress') this.phase = 'riding';
    else if (status === 'completed') this.finish(rideId, 'completed');
    else if (status === 'cancelled') this.finish(rideId, 'cancelled_by_system');
    else if (status === 'expired') this.finish(rideId, 'expired');
  }

  private onCancelled(rideId: string, by: 'customer' | 'driver' | 'system'): void {
    this.finish(rideId, by === 'customer' ? 'cancelled_by_customer' : by === 'driver' ? 'cancelled_by_driver' : 'cancelled_by_system');
  }

  private async cancel(rideId: string, reason: string, inPhases: CustomerPhase[]): Promise<void> {
    if (this.ride?.id !== rideId || !inPhases.includes(this.phase) || !this.client) return;
    const result = await sendExpecting(this.ctx, this.label, this.client, 'ride.cancel', { rideId, reason }, RACE_REFUSALS);
    if (!result.ok) return;
    const fee = (result.data as { fee?: { amount: number } } | undefined)?.fee;
    if (fee) {
      this.ctx.stats.cancellationFees.count += 1;
      this.ctx.stats.cancellationFees.amount += fee.amount;
    }
    this.finish(rideId, 'cancelled_by_customer');
  }

  /** The request is over: record how, rate a completed ride, and plan the next one. */
  private finish(rideId: string, outcome: RequestRecord['outcome']): void {
    const record = this.record;
    if (!record || record.rideId !== rideId || this.phase === 'idle') return;
    if (record.outcome === 'open' || record.outcome === 'assigned') record.outcome = outcome;
    for (const task of this.tasks) task.cancel();
    this.tasks = [];
    this.decideTask?.cancel();
    this.decideTask = undefined;
    this.bids.clear();
    this.ride = undefined;
    this.phase = 'idle';
    if (outcome === 'completed' && !this.ctx.stopping) void this.rate(rideId);
    this.scheduleNextRequest(this.identity.profile.pauseBetweenRidesS * 1000 * this.identity.rng.float(0.5, 1.5));
  }

  private async rate(rideId: string): Promise<void> {
    const stars = rateStars(this.identity.profile.ratingStyle, this.identity.rng);
    const comment = stars >= 5 ? 'Great ride' : stars <= 2 ? 'Could be better' : undefined;
    try {
      await this.session!.rate(rideId, { stars, ...(comment ? { comment } : {}) });
      this.ctx.stats.ratings += 1;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'already_rated') this.ctx.stats.refusal('rating:already_rated');
      else this.ctx.stats.protocolError(this.label, 'http', (error as Error).message);
    }
  }

  /** Cancels whatever is open (the run is stopping) and logs off. */
  async stop(): Promise<void> {
    this.nextRequestTask?.cancel();
    await this.requestInFlight?.catch(() => false);
    for (const task of this.tasks) task.cancel();
    this.decideTask?.cancel();
    const client = this.client;
    const record = this.record;
    if (client && !client.connected && this.ride) await client.connect().catch(() => undefined);
    if (client?.connected && this.ride && record && ['requesting', 'bidding', 'accepting', 'assigned'].includes(this.phase)) {
      const result = await sendExpecting(this.ctx, this.label, client, 'ride.cancel', { rideId: this.ride.id, reason: 'simulation ended' }, RACE_REFUSALS);
      if (result.ok && (record.outcome === 'open' || record.outcome === 'assigned')) record.outcome = 'closed_at_stop';
    } else if (record && this.phase === 'riding' && record.outcome === 'assigned') {
      record.outcome = 'closed_at_stop';
    }
    this.phase = 'done';
  }

  close(): void {
    this.client?.close();
  }
}
