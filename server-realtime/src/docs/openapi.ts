/**
 * The OpenAPI document of the realtime service's own HTTP routes (the WebSocket is in the AsyncAPI
 * document). Only routes this service serves are declared: `POST /api/locations` and
 * `/api/track/...` (contract 1.1) are planned and will be registered here when they exist.
 */
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { HealthRealtime } from '@drivrr/shared/protocol';
import { errorResponses, generateOpenApiDocument, jsonContent } from '@drivrr/shared/openapi';

export function buildRealtimeOpenApiDocument(version: string) {
  const registry = new OpenAPIRegistry();
  registry.registerPath({
    method: 'get',
    path: '/api/health',
    tags: ['health'],
    summary: 'Liveness, connection counts and database reachability',
    description: 'Runs `SELECT 1` with a one-second deadline on every call. 503 (same body, status "degraded") while the database does not answer; the service keeps running and recovers by itself.',
    responses: {
      200: jsonContent(HealthRealtime, 'healthy'),
      503: jsonContent(HealthRealtime, 'degraded: the database does not answer'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    tags: ['metrics'],
    summary: 'Prometheus metrics (text exposition format)',
    description: 'Connections by role, messages in and out by type, handler latency, and the process metrics of prom-client.',
    responses: {
      200: { description: 'the metrics', content: { 'text/plain': { schema: z.string(), example: 'drivrr_ws_connections{role=\"driver\"} 12\n' } } },
      ...errorResponses('internal_error'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/docs/openapi.json',
    tags: ['docs'],
    summary: 'This document',
    responses: { 200: { description: 'the OpenAPI 3 document', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/docs/asyncapi.json',
    tags: ['docs'],
    summary: 'The AsyncAPI 3 document of the WebSocket at /ws (every message of both directions, and the acks)',
    responses: { 200: { description: 'the AsyncAPI 3 document', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
  });
  return generateOpenApiDocument(registry, {
    title: 'Drivrr realtime service (HTTP)',
    version,
    description:
      'The HTTP routes of the realtime service. Its WebSocket (`/ws`) is described by the AsyncAPI document at `/api/docs/asyncapi.json`; both are drawn for people at `/api/docs`. Planned (contract 1.1), not served yet: `POST /api/locations`, `GET /api/track/{token}`, `GET /api/live`.',
    tags: {
      health: 'Is the service up, how many sockets, can it reach its database?',
      metrics: 'Prometheus scraping.',
      docs: 'The machine-readable contract.',
    },
    operationIds: {
      'get /api/health': 'getRealtimeHealth',
      'get /metrics': 'getMetrics',
      'get /api/docs/openapi.json': 'getOpenApiDocument',
      'get /api/docs/asyncapi.json': 'getAsyncApiDocument',
    },
  });
}
