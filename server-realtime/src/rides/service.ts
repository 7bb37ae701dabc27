/**
 * The rides module assembled from its parts, each job in one place:
 *   haggling.ts   ride.request, bid.place, ride.raise_fare, bid.accept
 *   lifecycle.ts  ride.arrived/start/complete, ride.cancel, a request's expiry, a driver going offline
 *   effects.ts    the in-transaction effect step (domain effects -> writes and outbox events)
 *   context.ts    one transaction per command, its events appended in it, announced after commit
 *   announcer.ts  the post-commit announcer (frames in seq order per ride), session.resume, recovery
 *   parties.ts    who is on a ride and who follows whom, read from the database
 *   timers.ts     expiries and search ticks as due rows (FOR UPDATE SKIP LOCKED), on the clock port
 * This file adds what reads across them: session.state and session.resume.
 */
import { AppError } from '@drivrr/shared';
import type { Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import { listRideMessages, SESSION_STATE_MESSAGES } from '@drivrr/store/ride-messages';
import { getActiveRideForUser, getRide } from '@drivrr/store/rides-read';
import { listOffersOfDriver, wasOffered } from '../db/offers.js';
import { lastSeqOf } from '../db/ride-events.js';
import type { Caller, DriverPresence, LocationFollows, Notifier } from '../ws/contracts.js';
import { RideAnnouncer } from './announcer.js';
import type { RideClock } from './clock.js';
import type { RidesConfig } from './config.js';
import { ChatCommands } from './chat.js';
import type { RideContext } from './context.js';
import { HagglingCommands } from './haggling.js';
import { LifecycleCommands } from './lifecycle.js';
import { PartyStates } from './parties.js';
import { RideTimers } from './timers.js';

export interface RideServiceDeps {
  pool: Pool;
  notifier: Notifier;
  presence: DriverPresence;
  follows: LocationFollows;
  config: RidesConfig;
  logger: Logger;
  clock: RideClock;
}

export class RideService {
  readonly haggling: HagglingCommands;
  readonly lifecycle: LifecycleCommands;
  readonly timers: RideTimers;
  readonly chat: ChatCommands;
  readonly parties: PartyStates;
  private readonly ctx: RideContext;

  constructor(deps: RideServiceDeps) {
    const parties = new PartyStates(deps.pool, deps.presence, deps.follows);
    const announcer = new RideAnnouncer(deps.pool, deps.notifier, parties, deps.logger);
    this.ctx = { pool: deps.pool, clock: deps.clock, config: deps.config, logger: deps.logger, presence: deps.presence, parties, announcer, counters: { transactionRetries: 0 } };
    this.parties = parties;
    this.lifecycle = new LifecycleCommands(this.ctx);
    this.timers = new RideTimers(this.ctx, (store, ride, events) => this.lifecycle.expireClaimed(store, ride, events));
    this.haggling = new HagglingCommands(this.ctx, this.timers);
    this.chat = new ChatCommands(this.ctx);
  }

  get counters(): { transactionRetries: number } {
    return this.ctx.counters;
  }

  /** The rides part of `session.state`, read from the database: the live ride (with its last chat messages), the open request, a driver's current offers. */
  async sessionState(caller: Caller): Promise<Record<string, unknown>> {
    if (caller.role === 'operator') return {};
    const { pool, parties } = this.ctx;
    // The seq first: a message committed after it comes again through session.resume, never lost between the two reads.
    const ride = await getActiveRideForUser(pool, caller.userId, caller.role, this.ctx.clock.now());
    const withSeq = ride ? { ...ride, lastSeq: await lastSeqOf(pool, ride.id) } : null;
    if (withSeq && withSeq.driverId !== null) Object.assign(withSeq, { messages: await listRideMessages(pool, withSeq.id, { last: SESSION_STATE_MESSAGES }) });
    if (caller.role === 'customer') {
      await parties.refreshCustomer(caller.userId);
      return { activeRide: withSeq && withSeq.status !== 'requested' ? withSeq : null, openRequest: withSeq && withSeq.status === 'requested' ? withSeq : null };
    }
    await parties.refreshDriver(caller.userId);
    const offers = withSeq ? [] : await listOffersOfDriver(pool, caller.userId);
    return { activeRide: withSeq, openRequest: null, offers };
  }

  /**
   * session.resume: the frames of the ride the caller missed after `seq`, in order (the router
   * sends the ack after them). Its parties and the drivers it was offered to may resume a ride;
   * each gets only the frames that were addressed to them.
   */
  async resume(caller: Caller, rideId: string, seq: number): Promise<{ rideId: string; lastSeq: number }> {
    const ride = await getRide(this.ctx.pool, rideId);
    const isParty = ride !== undefined && (ride.customerId === caller.userId || ride.driverId === caller.userId);
    if (!ride || (!isParty && !(caller.role === 'driver' && (await wasOffered(this.ctx.pool, rideId, caller.userId))))) {
      throw new AppError('not_found', 'no such ride of yours');
    }
    const lastSeq = await this.ctx.announcer.replay(caller.userId, rideId, seq);
    return { rideId, lastSeq: Math.max(lastSeq, await lastSeqOf(this.ctx.pool, rideId)) };
  }

  /** At start: announce what a previous process committed but never announced, then start polling due timers. */
  async start(): Promise<{ unannouncedRides: number }> {
    const unannouncedRides = await this.ctx.announcer.recover();
    this.timers.start();
    return { unannouncedRides };
  }

  async stop(): Promise<void> {
    await this.timers.stop();
  }
}
