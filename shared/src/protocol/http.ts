/** Request and response bodies of the auth/REST service (port 3000). */
import { z } from 'zod';
import { Money, OtpRole, Text, VehicleType } from './common.js';
import { AddressView, UserView, VehicleView } from './entities.js';

export const OtpSendBody = z.object({
  phone: Text({ min: 1, max: 32 }),
  role: OtpRole,
});
export type OtpSendBody = z.infer<typeof OtpSendBody>;

export const OtpSendResponse = z.object({ expiresInS: z.number().int(), resendAfterS: z.number().int() });

export const OtpVerifyBody = z.object({
  phone: Text({ min: 1, max: 32 }),
  code: z.string().regex(/^\d{6}$/, 'code must be 6 digits'),
  role: OtpRole,
});
export type OtpVerifyBody = z.infer<typeof OtpVerifyBody>;

export const TokenPair = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresInS: z.number().int(),
});
export type TokenPair = z.infer<typeof TokenPair>;

export const OtpVerifyResponse = TokenPair.extend({ user: UserView, isNewUser: z.boolean() });
export type OtpVerifyResponse = z.infer<typeof OtpVerifyResponse>;

export const RefreshBody = z.object({ refreshToken: z.string().min(16).max(512) });
export type RefreshBody = z.infer<typeof RefreshBody>;
export const LogoutBody = RefreshBody;
export type LogoutBody = z.infer<typeof LogoutBody>;

/** GET /api/users/me/vehicle and the answer of PUT. */
export const VehicleResponse = VehicleView;

/** GET /api/auth/jwks.json: the public keys that sign access tokens (RFC 7517). */
export const JwksResponse = z.object({
  keys: z.array(z.object({ kty: z.string(), crv: z.string(), x: z.string(), y: z.string(), kid: z.string(), alg: z.string(), use: z.string() }).loose()),
});

export const UpdateMeBody = z
  .object({
    name: Text({ min: 1, max: 80 }).optional(),
    email: z.email().max(254).optional(),
  })
  .strict();
export type UpdateMeBody = z.infer<typeof UpdateMeBody>;

export const AddressBody = z
  .object({
    label: Text({ min: 1, max: 40 }),
    address: Text({ min: 1, max: 200 }),
    lat: z.number().finite().min(-90).max(90),
    lng: z.number().finite().min(-180).max(180),
  })
  .strict();
export type AddressBody = z.infer<typeof AddressBody>;
export const AddressPatchBody = AddressBody.partial().strict();
export type AddressPatchBody = z.infer<typeof AddressPatchBody>;
export const AddressList = z.object({ items: z.array(AddressView) });

export const VehicleBody = z
  .object({
    make: Text({ min: 1, max: 40 }),
    model: Text({ min: 1, max: 40 }),
    color: Text({ min: 1, max: 30 }),
    plate: Text({ min: 2, max: 16 }),
    type: VehicleType,
  })
  .strict();
export type VehicleBody = z.infer<typeof VehicleBody>;

export const RidesQuery = z.object({
  status: z.enum(['requested', 'assigned', 'arrived', 'in_progress', 'completed', 'cancelled', 'expired']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: Text({ max: 200 }).optional(),
});
export type RidesQuery = z.infer<typeof RidesQuery>;

export const RatingBody = z
  .object({
    stars: z.number().int().min(1).max(5),
    comment: Text({ max: 500 }).optional(),
  })
  .strict();
export type RatingBody = z.infer<typeof RatingBody>;

export const TopupBody = z.object({ amount: Money }).strict();
export type TopupBody = z.infer<typeof TopupBody>;

export const WalletView = z.object({ balance: z.number().int(), currency: z.string() });
export type WalletView = z.infer<typeof WalletView>;

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: Text({ max: 200 }).optional(),
});

export const HealthAuth = z.object({
  status: z.enum(['ok', 'degraded']),
  service: z.literal('auth'),
  version: z.string(),
  uptimeS: z.number(),
  db: z.object({ ok: z.boolean(), latencyMs: z.number().nullable() }),
});
export type HealthAuth = z.infer<typeof HealthAuth>;

export const HealthRealtime = z.object({
  status: z.enum(['ok', 'degraded']),
  service: z.literal('realtime'),
  version: z.string(),
  uptimeS: z.number(),
  connections: z.object({ drivers: z.number().int(), customers: z.number().int(), operators: z.number().int().optional() }),
  db: z.object({ ok: z.boolean(), latencyMs: z.number().nullable().optional() }),
  /** This process: its node id, whether it runs alone or in a cluster, and (cluster) its Redis. */
  node: z
    .object({
      id: z.string(),
      mode: z.enum(['single', 'cluster']),
      redis: z.object({ ok: z.boolean(), latencyMs: z.number().nullable() }).optional(),
    })
    .optional(),
  /** Cluster mode: every live node of the registry in Redis (the top-level `connections` stay this node's own). */
  cluster: z
    .object({
      nodes: z.array(
        z.object({
          id: z.string(),
          url: z.string(),
          connections: z.object({ drivers: z.number().int(), customers: z.number().int(), operators: z.number().int() }),
          /** ISO time of the node's last heartbeat. */
          lastSeenAt: z.string(),
        }),
      ),
    })
    .optional(),
});
export type HealthRealtime = z.infer<typeof HealthRealtime>;

/** GET /api/live: the process runs (proxies and orchestrators; a Redis or database outage does not fail it). */
export const LiveRealtime = z.object({ status: z.literal('ok') });
export type LiveRealtime = z.infer<typeof LiveRealtime>;
