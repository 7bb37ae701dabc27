/** POST /api/rides/:id/share: the ride's customer creates a link that shows the trip live, no login. */
import { Router, type RequestHandler } from 'express';
import type { ShareLinks } from '../usecases/share-links.js';
import { rideIdParam, type CallerOf } from './rides-support.js';
import { methodNotAllowed } from './validate.js';

export interface ShareRouterDeps {
  shareLinks: ShareLinks;
  authenticate: RequestHandler;
  callerOf: CallerOf;
}

export function shareRouter(deps: ShareRouterDeps): Router {
  const router = Router();
  router.post('/api/rides/:id/share', deps.authenticate, async (req, res) => {
    res.status(201).json(await deps.shareLinks.create(deps.callerOf(req), rideIdParam(req)));
  });
  router.all('/api/rides/:id/share', methodNotAllowed(['POST']));
  return router;
}
