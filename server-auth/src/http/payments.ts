/**
 * Wallet and ledger endpoints: GET /api/payments/wallet, POST /api/payments/wallet/topup
 * (Idempotency-Key; simulated payment, no gateway), GET /api/payments/transactions.
 */
import { Router, type RequestHandler } from 'express';
import { PageQuery, TopupBody, type TransactionPage, type TransactionView, type WalletView } from '@drivrr/shared/protocol';
import { parseIdempotencyKey } from '../domain/payments.js';
import type { Payments } from '../usecases/payments.js';
import type { CallerOf } from './rides-support.js';
import { methodNotAllowed, validate } from './validate.js';

export interface PaymentsRouterDeps {
  payments: Payments;
  authenticate: RequestHandler;
  callerOf: CallerOf;
}

/** Header set on a top-up answered from an earlier request with the same Idempotency-Key. */
export const IDEMPOTENT_REPLAY_HEADER = 'Idempotent-Replayed';

const parseTopupBody = validate(TopupBody, 'body');
const parsePageQuery = validate(PageQuery, 'query');

export function paymentsRouter(deps: PaymentsRouterDeps): Router {
  const router = Router();

  router.get('/api/payments/wallet', deps.authenticate, async (req, res) => {
    const caller = deps.callerOf(req);
    const view: WalletView = await deps.payments.wallet(caller);
    res.json(view);
  });
  router.all('/api/payments/wallet', methodNotAllowed(['GET']));

  router.post('/api/payments/wallet/topup', deps.authenticate, async (req, res) => {
    const caller = deps.callerOf(req);
    const idempotencyKey = parseIdempotencyKey(req.header('idempotency-key'));
    const body = parseTopupBody(req.body ?? {});
    // the per-top-up cap (MAX_TOPUP_AMOUNT) is enforced by the use case: validation_failed, details.max
    const outcome = await deps.payments.topUp(caller, idempotencyKey, body);
    // A retry is answered exactly like the first request (201, same body), marked by a header.
    if (outcome.replayed) res.setHeader(IDEMPOTENT_REPLAY_HEADER, 'true');
    const view: TransactionView = outcome.transaction;
    res.status(201).json(view);
  });
  router.all('/api/payments/wallet/topup', methodNotAllowed(['POST']));

  router.get('/api/payments/transactions', deps.authenticate, async (req, res) => {
    const caller = deps.callerOf(req);
    const query = parsePageQuery(req.query);
    const page: TransactionPage = await deps.payments.transactions(caller, query);
    res.json(page);
  });
  router.all('/api/payments/transactions', methodNotAllowed(['GET']));

  return router;
}
