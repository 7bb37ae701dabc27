import { z } from 'zod';
import { BidStatus, CancelledBy, IsoTimestamp, Money, PaymentMethod, Place, RideStatus, Role, Uuid, VehicleType } from './common.js';

/** What the apps see of a user (never another user's phone). */
export const UserView = z.object({
  id: Uuid,
  phone: z.string(),
  role: Role,
  name: z.string().nullable(),
  email: z.string().nullable(),
  rating: z.number().nullable(),
  ratingCount: z.number().int(),
  createdAt: IsoTimestamp,
});
export type UserView = z.infer<typeof UserView>;

export const VehicleView = z.object({
  make: z.string(),
  model: z.string(),
  color: z.string(),
  plate: z.string(),
  type: VehicleType,
});
export type VehicleView = z.infer<typeof VehicleView>;

export const AddressView = z.object({
  id: Uuid,
  label: z.string(),
  address: z.string(),
  lat: z.number(),
  lng: z.number(),
  createdAt: IsoTimestamp,
  updatedAt: IsoTimestamp,
});
export type AddressView = z.infer<typeof AddressView>;

/** A party of a ride as the other party sees it: name and rating, no phone. */
export const PartyView = z.object({
  id: Uuid,
  name: z.string().nullable(),
  rating: z.number().nullable(),
});
export type PartyView = z.infer<typeof PartyView>;

export const DriverPartyView = PartyView.extend({ vehicle: VehicleView.nullable() });
export type DriverPartyView = z.infer<typeof DriverPartyView>;

export const FareEstimate = z.object({
  distanceM: z.number().int().nonnegative(),
  durationS: z.number().int().nonnegative(),
  suggestedFare: Money,
  minimumFare: Money,
  currency: z.string(),
});
export type FareEstimate = z.infer<typeof FareEstimate>;

/** A cancellation fee (contract 1.1): the customer pays it to the driver through the ledger. */
export const CancelFeeView = z.object({ amount: Money, currency: z.string(), payer: z.enum(['customer']) });
export type CancelFeeView = z.infer<typeof CancelFeeView>;

export const RideView = z.object({
  id: Uuid,
  status: RideStatus,
  customerId: Uuid,
  driverId: Uuid.nullable(),
  pickup: Place,
  dropoff: Place,
  /** The fare the customer currently asks (raised by ride.raise_fare). */
  fare: Money,
  /** The fare agreed by accepting a bid; null until assigned. */
  agreedFare: Money.nullable(),
  currency: z.string(),
  paymentMethod: PaymentMethod,
  /** The vehicle type asked for; offered only to drivers of this type. */
  vehicleType: VehicleType,
  estimate: FareEstimate,
  createdAt: IsoTimestamp,
  expiresAt: IsoTimestamp,
  assignedAt: IsoTimestamp.nullable(),
  arrivedAt: IsoTimestamp.nullable(),
  startedAt: IsoTimestamp.nullable(),
  completedAt: IsoTimestamp.nullable(),
  cancelledAt: IsoTimestamp.nullable(),
  cancelledBy: CancelledBy.nullable(),
  cancelReason: z.string().nullable(),
  /**
   * Contract 1.1 (cancellation fees), so apps can warn before a cancel: while the ride is assigned
   * and the customer's free window is open, its end; null otherwise.
   */
  freeCancelUntil: IsoTimestamp.nullable(),
  /** What a cancel by the customer would cost now; null when it is free (computed when the view was made). */
  cancelFee: z.object({ amount: Money, currency: z.string() }).nullable(),
});
export type RideView = z.infer<typeof RideView>;

/** A bid's driver: as a party, plus how reliable he is (contract 1.1). */
export const BidDriverView = DriverPartyView.extend({
  /** Share (0..1) of his last 50 assignments he cancelled (a customer_no_show cancel does not count). */
  cancellationRate: z.number().min(0).max(1),
});
export type BidDriverView = z.infer<typeof BidDriverView>;

export const BidView = z.object({
  id: Uuid,
  rideId: Uuid,
  fare: Money,
  etaS: z.number().int().nonnegative(),
  status: BidStatus,
  expiresAt: IsoTimestamp,
  createdAt: IsoTimestamp,
  driver: BidDriverView,
});
export type BidView = z.infer<typeof BidView>;

export const RideEventView = z.object({
  id: z.number().int(),
  type: z.string(),
  fromStatus: RideStatus.nullable(),
  toStatus: RideStatus.nullable(),
  actorRole: z.enum(['customer', 'driver', 'system']),
  actorId: Uuid.nullable(),
  data: z.record(z.string(), z.unknown()),
  createdAt: IsoTimestamp,
});
export type RideEventView = z.infer<typeof RideEventView>;

export const RideDetailView = RideView.extend({
  bids: z.array(BidView),
  events: z.array(RideEventView),
  customer: PartyView,
  driver: DriverPartyView.nullable(),
  rating: z.object({ stars: z.number().int(), comment: z.string().nullable() }).nullable(),
});
export type RideDetailView = z.infer<typeof RideDetailView>;

/** One in-ride chat message as both parties see it (chat.message, session.state, GET /api/rides/:id/messages). */
export const ChatMessageView = z.object({
  rideId: Uuid,
  messageId: Uuid,
  from: z.enum(['customer', 'driver']),
  text: z.string(),
  sentAt: IsoTimestamp,
});
export type ChatMessageView = z.infer<typeof ChatMessageView>;

/** Answer of GET /api/rides/:id/messages: the ride's chat, oldest first. */
export const RideMessagesView = z.object({ items: z.array(ChatMessageView) });
export type RideMessagesView = z.infer<typeof RideMessagesView>;

export const TransactionView = z.object({
  id: Uuid,
  kind: z.string(),
  /** Signed change to the caller's wallet, minor units. */
  amount: z.number().int(),
  currency: z.string(),
  rideId: Uuid.nullable(),
  balanceAfter: z.number().int().nullable(),
  createdAt: IsoTimestamp,
  /**
   * Which of the caller's accounts the row changes (contract 1.1, cancellation fees): `wallet`, or
   * for customers `debt` — what they owe beyond the wallet (a fee the wallet did not cover: a
   * negative `amount`, `balanceAfter` <= 0; its repayment: positive). Absent in older answers.
   */
  account: z.enum(['wallet', 'debt']).optional(),
});
export type TransactionView = z.infer<typeof TransactionView>;

export const Page = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** A page of the caller's rides (GET /api/rides). */
export const RidePage = Page(RideView);
export type RidePage = z.infer<typeof RidePage>;

/** A page of the caller's wallet transactions (GET /api/payments/transactions). */
export const TransactionPage = Page(TransactionView);
export type TransactionPage = z.infer<typeof TransactionPage>;

/** Answer of POST /api/rides/:id/rating: the stored rating and the ratee's new average. */
export const RatingView = z.object({
  id: Uuid,
  rideId: Uuid,
  stars: z.number().int().min(1).max(5),
  comment: z.string().nullable(),
  createdAt: IsoTimestamp,
  ratee: PartyView.extend({ ratingCount: z.number().int().nonnegative() }),
});
export type RatingView = z.infer<typeof RatingView>;
