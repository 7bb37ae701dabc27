import { Router } from 'express';
import { pingDatabase, type Pool } from '@drivrr/shared/db';
import { HealthAuth } from '@drivrr/shared/protocol';
import { jsonContent, registerPath } from './openapi.js';

export function healthRouter(deps: { pool: Pool; version: string; startedAt: number }): Router {
  const router = Router();
  router.get('/api/health', async (_req, res) => {
    const db = await pingDatabase(deps.pool);
    const body: HealthAuth = {
      status: db.ok ? 'ok' : 'degraded',
      service: 'auth',
      version: deps.version,
      uptimeS: Math.round((Date.now() - deps.startedAt) / 1000),
      db,
    };
    res.status(db.ok ? 200 : 503).json(body);
  });
  return router;
}

registerPath({
  method: 'get', path: '/api/health', tags: ['health'], summary: 'Liveness and database reachability',
  responses: { 200: jsonContent(HealthAuth, 'healthy'), 503: jsonContent(HealthAuth, 'degraded: the database is unreachable') },
});
