/** OpenAPI registration of the rides, ratings and payments endpoints (same schemas that validate them). */
import { z } from 'zod';
import {
  PageQuery,
  RatingBody,
  RatingView,
  RideDetailView,
  RideMessagesView,
  RidePage,
  RidesQuery,
  ShareLinkCreated,
  TopupBody,
  TransactionPage,
  TransactionView,
  Uuid,
  WalletView,
} from '@drivrr/shared/protocol';
import { MAX_TOPUP_AMOUNT } from '@drivrr/store/ledger';
import { IDEMPOTENCY_KEY_MAX } from '../domain/payments.js';
import { AUTHENTICATED_ERRORS } from './authenticate.js';
import { bearerSecurity, errorResponses, jsonContent, registerPath } from './openapi.js';

const rideIdParams = z.object({ id: Uuid });
const AUTH = AUTHENTICATED_ERRORS;

registerPath({
  method: 'get',
  path: '/api/rides',
  tags: ['rides'],
  security: bearerSecurity,
  summary: "The caller's rides, newest first (as customer or as driver, by the token's role)",
  description: 'Keyset-paginated: pass `nextCursor` back as `cursor`; it is null on the last page.',
  request: { query: RidesQuery },
  responses: {
    200: jsonContent(RidePage, 'a page of rides'),
    ...errorResponses('validation_failed', ...AUTH, 'forbidden'),
  },
});

registerPath({
  method: 'post',
  path: '/api/rides/{id}/share',
  tags: ['rides'],
  security: bearerSecurity,
  summary: 'Share the trip: a link that shows the ride and the driver live, with no login',
  description:
    "The ride's customer only (its driver gets 403, anyone else 404), while the ride is not finished (422 invalid_transition). " +
    '`url` is `REALTIME_PUBLIC_URL/track/{token}` (a page on the realtime service; `GET /api/track/{token}` and its Server-Sent ' +
    'Events at `/api/track/{token}/events` give the same data). The link answers 410 link_expired once the ride has ended or at `expiresAt`.',
  request: { params: rideIdParams },
  responses: {
    201: jsonContent(ShareLinkCreated, 'the link'),
    ...errorResponses('validation_failed', ...AUTH, 'forbidden', 'not_found', 'invalid_transition'),
  },
});

registerPath({
  method: 'get',
  path: '/api/rides/{id}',
  tags: ['rides'],
  security: bearerSecurity,
  summary: 'One ride with both parties, its bids and its event timeline (parties only)',
  description: 'Anyone but the customer and the assigned driver gets 404, as for a ride that does not exist. A driver sees only their own bids.',
  request: { params: rideIdParams },
  responses: {
    200: jsonContent(RideDetailView, 'the ride'),
    ...errorResponses('validation_failed', ...AUTH, 'not_found'),
  },
});

registerPath({
  method: 'get',
  path: '/api/rides/{id}/messages',
  tags: ['rides'],
  security: bearerSecurity,
  summary: "The ride's in-ride chat, oldest first (parties only)",
  description:
    'Messages are sent over the WebSocket (`chat.send`, delivered as `chat.message`) while the ride is assigned, arrived or in progress; ' +
    'this returns all of them, also after the ride ended. Anyone but the customer and the assigned driver gets 404, as for a ride that does not exist.',
  request: { params: rideIdParams },
  responses: {
    200: jsonContent(RideMessagesView, 'the messages'),
    ...errorResponses('validation_failed', ...AUTH, 'not_found'),
  },
});

registerPath({
  method: 'post',
  path: '/api/rides/{id}/rating',
  tags: ['rides'],
  security: bearerSecurity,
  summary: 'Rate the other party of a completed ride (customer rates driver, driver may rate customer), once',
  request: { params: rideIdParams, body: jsonContent(RatingBody, 'the rating') },
  responses: {
    201: jsonContent(RatingView, "the stored rating and the ratee's new average"),
    ...errorResponses('validation_failed', 'invalid_json', ...AUTH, 'not_found', 'already_rated', 'ride_not_completed'),
  },
});

registerPath({
  method: 'get',
  path: '/api/payments/wallet',
  tags: ['payments'],
  security: bearerSecurity,
  summary: "The caller's wallet balance (drivers: negative = commission owed)",
  responses: {
    200: jsonContent(WalletView, 'the balance in minor units'),
    ...errorResponses(...AUTH, 'forbidden'),
  },
});

registerPath({
  method: 'post',
  path: '/api/payments/wallet/topup',
  tags: ['payments'],
  security: bearerSecurity,
  summary: 'Top up the wallet (simulated payment; idempotent by Idempotency-Key)',
  description: `At most ${MAX_TOPUP_AMOUNT} minor units per top-up. A retry with the same key and amount answers the same 201 and transaction, with the header Idempotent-Replayed: true; the same key with another amount is a 409 conflict.`,
  request: {
    headers: z.object({ 'Idempotency-Key': z.string().min(1).max(IDEMPOTENCY_KEY_MAX) }),
    body: jsonContent(TopupBody, 'the amount in minor units'),
  },
  responses: {
    201: jsonContent(TransactionView, 'the top-up transaction (the same one for a retry)'),
    ...errorResponses('missing_idempotency_key', 'validation_failed', 'invalid_json', ...AUTH, 'forbidden', 'conflict'),
  },
});

registerPath({
  method: 'get',
  path: '/api/payments/transactions',
  tags: ['payments'],
  security: bearerSecurity,
  summary: "Transactions touching the caller's wallet, newest first, with the signed amount and balance after",
  request: { query: PageQuery },
  responses: {
    200: jsonContent(TransactionPage, 'a page of transactions'),
    ...errorResponses('validation_failed', ...AUTH, 'forbidden'),
  },
});
