import { z } from 'zod';
import { ERROR_CODES } from '../errors.js';

/** WGS84 degrees. */
export const LatLng = z.object({
  lat: z.number().finite().min(-90).max(90),
  lng: z.number().finite().min(-180).max(180),
});
export type LatLng = z.infer<typeof LatLng>;

/**
 * C0 and C1 control characters except tab and newline (NUL included): refused in every free text,
 * since PostgreSQL cannot store NUL and the rest only ever hides or garbles what people see.
 */
const WITHOUT_CONTROL_CHARACTERS = /^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$/;

/**
 * The one schema of human free text (names, labels, addresses, reasons, comments), trimmed, with
 * its length bounds. Every free-text field of a REST body or a WebSocket message uses it.
 */
export function Text(options: { min?: number; max: number }): z.ZodString {
  return z
    .string()
    .trim()
    .min(options.min ?? 0)
    .max(options.max)
    .regex(WITHOUT_CONTROL_CHARACTERS, 'must not contain control characters (other than tab and newline)');
}

/** A point with an optional human address (what the apps show). */
export const Place = LatLng.extend({
  address: Text({ max: 200 }).optional(),
});
export type Place = z.infer<typeof Place>;

export const Role = z.enum(['customer', 'driver', 'operator']);
export type Role = z.infer<typeof Role>;
/** Roles a person can sign up as through OTP; operators are created by the CLI. */
export const AppRole = z.enum(['customer', 'driver']);
export type AppRole = z.infer<typeof AppRole>;
/**
 * Roles an OTP login may ask for: the app roles, plus `operator` for phones listed in the auth
 * service's OPERATOR_PHONES (the live operations map logs in this way).
 */
export const OtpRole = z.enum(['customer', 'driver', 'operator']);
export type OtpRole = z.infer<typeof OtpRole>;

/** Money in integer minor units (paisa for PKR). */
export const Money = z.number().int().positive().max(100_000_000);
export type Money = z.infer<typeof Money>;

export const Uuid = z.uuid();
export const IsoTimestamp = z.iso.datetime({ offset: true });

export const PaymentMethod = z.enum(['cash', 'wallet']);
export type PaymentMethod = z.infer<typeof PaymentMethod>;

export const VehicleType = z.enum(['car', 'bike', 'rickshaw']);
export type VehicleType = z.infer<typeof VehicleType>;

export const RideStatus = z.enum(['requested', 'assigned', 'arrived', 'in_progress', 'completed', 'cancelled', 'expired']);
export type RideStatus = z.infer<typeof RideStatus>;
/** Statuses of a live ride (a customer has at most one). */
export const ACTIVE_RIDE_STATUSES = ['requested', 'assigned', 'arrived', 'in_progress'] as const satisfies readonly RideStatus[];
/** Statuses in which a driver is on the ride (busy; followed by the customer). */
export const ENGAGED_RIDE_STATUSES = ['assigned', 'arrived', 'in_progress'] as const satisfies readonly RideStatus[];

export const BidStatus = z.enum(['open', 'accepted', 'rejected', 'expired', 'withdrawn']);
export type BidStatus = z.infer<typeof BidStatus>;

export const CancelledBy = z.enum(['customer', 'driver', 'system']);
export type CancelledBy = z.infer<typeof CancelledBy>;

export const ErrorCodeSchema = z.enum(ERROR_CODES as [string, ...string[]]);

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
