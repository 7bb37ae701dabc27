/**
 * The rides module of the realtime service: registers the ride messages on the router (thin:
 * the transport validated the frame and the caller comes from the token), contributes
 * activeRide/openRequest/offers to session.state, answers session.resume, withdraws bids of
 * drivers who go offline, and on start announces what a previous process left unannounced and
 * starts polling the due timers.
 */
import type { Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import type { RealtimeModule, RealtimeModuleDeps } from '../ws/contracts.js';
import type { RideClock } from './clock.js';
import type { RidesConfig } from './config.js';
import { RideService } from './service.js';

export interface RidesModuleDeps extends RealtimeModuleDeps {
  pool: Pool;
  config: { rides: RidesConfig };
  logger: Logger;
  clock: RideClock;
}

export function createRidesModule(deps: RidesModuleDeps): RealtimeModule & { service: RideService } {
  const logger = deps.logger.child({ module: 'rides' });
  const { clock } = deps;
  const service = new RideService({
    pool: deps.pool,
    notifier: deps.notifier,
    presence: deps.presence,
    follows: deps.follows,
    config: deps.config.rides,
    logger,
    clock,
  });
  const { router } = deps;
  const { haggling, lifecycle } = service;

  router.on('ride.request', (ctx, data) => haggling.request(ctx.caller, data));
  router.on('ride.raise_fare', (ctx, data) => haggling.raiseFare(ctx.caller, data));
  router.on('bid.place', (ctx, data) => haggling.placeBid(ctx.caller, data));
  router.on('bid.accept', (ctx, data) => haggling.acceptBid(ctx.caller, data));
  router.on('ride.arrived', (ctx, data) => lifecycle.advance(ctx.caller, 'arrive', data.rideId));
  router.on('ride.start', (ctx, data) => lifecycle.advance(ctx.caller, 'start', data.rideId));
  router.on('ride.complete', (ctx, data) => lifecycle.advance(ctx.caller, 'complete', data.rideId));
  router.on('ride.cancel', (ctx, data) => lifecycle.cancel(ctx.caller, data));
  router.on('chat.send', (ctx, data) => service.chat.send(ctx.caller, data, ctx.messageId));
  router.on('session.resume', (ctx, data) => service.resume(ctx.caller, data.rideId, data.seq));

  deps.addSessionState((caller) => service.sessionState(caller));
  deps.presence.onDriverOffline((driverId) => {
    lifecycle.driverOffline(driverId).catch((error: unknown) => logger.error({ err: error, driverId }, 'rides: withdrawing bids of an offline driver failed'));
  });
  deps.presence.onDriverLocation((info) => service.parties.located(info.driverId, info.activity));

  return {
    name: 'rides',
    service,
    async start() {
      const recovered = await service.start();
      logger.info(recovered, 'rides started');
    },
    async stop() {
      await service.stop();
    },
  };
}
