/**
 * The rides module of the realtime service: registers the ride messages on the router (thin:
 * the transport validated the frame and the caller comes from the token), contributes
 * activeRide/openRequest/offers to session.state, withdraws bids of drivers who go offline, and
 * on start re-arms open requests and bids from the database.
 */
import type { Pool } from '@drivrr/shared/db';
import type { Logger } from '@drivrr/shared/logger';
import type { RealtimeModule, RealtimeModuleDeps } from '../ws/contracts.js';
import type { RidesConfig } from './config.js';
import { RideService } from './service.js';

export interface RidesModuleDeps extends RealtimeModuleDeps {
  pool: Pool;
  config: { rides: RidesConfig };
  logger: Logger;
}

export function createRidesModule(deps: RidesModuleDeps): RealtimeModule & { service: RideService } {
  const logger = deps.logger.child({ module: 'rides' });
  const service = new RideService({
    pool: deps.pool,
    notifier: deps.notifier,
    presence: deps.presence,
    follows: deps.follows,
    config: deps.config.rides,
    logger,
  });
  const { router } = deps;

  router.on('ride.request', (ctx, data) => service.request(ctx.caller, data));
  router.on('ride.raise_fare', (ctx, data) => service.raiseFare(ctx.caller, data));
  router.on('bid.place', (ctx, data) => service.placeBid(ctx.caller, data));
  router.on('bid.accept', (ctx, data) => service.acceptBid(ctx.caller, data));
  router.on('ride.arrived', (ctx, data) => service.advance(ctx.caller, 'arrive', data.rideId));
  router.on('ride.start', (ctx, data) => service.advance(ctx.caller, 'start', data.rideId));
  router.on('ride.complete', (ctx, data) => service.advance(ctx.caller, 'complete', data.rideId));
  router.on('ride.cancel', (ctx, data) => service.cancel(ctx.caller, data));

  deps.addSessionState((caller) => service.sessionState(caller));
  deps.presence.onDriverOffline((driverId) => {
    service.driverOffline(driverId).catch((error: unknown) => logger.error({ err: error, driverId }, 'rides: withdrawing bids of an offline driver failed'));
  });
  deps.presence.onDriverLocation((info) => service.driverLocated(info.driverId, info.activity));

  return {
    name: 'rides',
    service,
    async start() {
      const recovered = await service.recover();
      logger.info(recovered, 'rides recovered from the database');
    },
    async stop() {
      service.stop();
    },
  };
}
