/**
 * The `data` of the `ack` that answers each client message (a message sent with an `id`), by the
 * message's type. `null`: the ack carries no `data` (`{type:"ack", id}`). The envelope's `ack`
 * stays `z.unknown()` in ws.ts because one frame type answers every message; a client that knows
 * which message it sent validates the ack's data with `clientMessageAcks[type]`. The AsyncAPI
 * document (server-realtime/src/docs) declares each of these as the reply of its message.
 */
import { z } from 'zod';
import { LatLng, Uuid } from './common.js';
import { BidPlaceAck, ChatSendAck, OpsRideAck, OpsSubscribeAck, RideAck, RideCancelAck, RideRequestAck, SessionRefreshAck, SessionResumeAck, type ClientMessageType } from './ws.js';
import { DriverPartyView, RideView } from './entities.js';

/** driver.online: the driver is in the index at this position; `on_ride` when a ride is under way. */
export const DriverOnlineAck = z.object({
  online: z.literal(true),
  location: LatLng,
  activity: z.enum(['idle', 'on_ride']),
});
export type DriverOnlineAck = z.infer<typeof DriverOnlineAck>;

export const DriverOfflineAck = z.object({ online: z.literal(false) });
export type DriverOfflineAck = z.infer<typeof DriverOfflineAck>;

/** driver.follow: whether the followed driver is online now (if so, a driver.location follows the ack). */
export const DriverFollowAck = z.object({ driverId: Uuid, online: z.boolean() });
export type DriverFollowAck = z.infer<typeof DriverFollowAck>;

/** bid.accept: the ride, now assigned, and the driver who won it. */
export const BidAcceptAck = z.object({ ride: RideView, driver: DriverPartyView.nullable() });
export type BidAcceptAck = z.infer<typeof BidAcceptAck>;

/** ping: the server's clock (ms since epoch). */
export const PingAck = z.object({ ts: z.number().int() });
export type PingAck = z.infer<typeof PingAck>;

export const clientMessageAcks = {
  'driver.online': DriverOnlineAck,
  'driver.offline': DriverOfflineAck,
  'location.update': null,
  'bid.place': BidPlaceAck,
  'ride.arrived': RideAck,
  'ride.start': RideAck,
  'ride.complete': RideAck,
  'ride.request': RideRequestAck,
  'ride.raise_fare': RideAck,
  'bid.accept': BidAcceptAck,
  'driver.follow': DriverFollowAck,
  'driver.unfollow': null,
  'ride.cancel': RideCancelAck,
  'chat.send': ChatSendAck,
  ping: PingAck,
  'ops.subscribe': OpsSubscribeAck,
  'ops.ride': OpsRideAck,
  'ops.unsubscribe': null,
  'session.resume': SessionResumeAck,
  'session.refresh': SessionRefreshAck,
} as const satisfies Record<ClientMessageType, z.ZodType | null>;

export type ClientMessageAckOf<T extends ClientMessageType> = (typeof clientMessageAcks)[T] extends z.ZodType
  ? z.infer<(typeof clientMessageAcks)[T]>
  : undefined;
