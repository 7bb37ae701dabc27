/**
 * The OpenAPI document of the realtime service's own HTTP routes (the WebSocket is in the AsyncAPI
 * document). Only routes this service serves are declared (`GET /api/live` of the cluster is
 * planned and will be registered here when it exists).
 */
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { HealthRealtime, LiveRealtime, LocationBatchAccepted, LocationBatchBody, TrackView } from '@drivrr/shared/protocol';
import { errorResponses, generateOpenApiDocument, jsonContent } from '@drivrr/shared/openapi';

export function buildRealtimeOpenApiDocument(version: string) {
  const registry = new OpenAPIRegistry();
  const bearerAuth = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token from the auth service (POST /api/auth/otp/verify or /api/auth/refresh).',
  });
  const tokenParam = z.object({ token: z.string().min(1).describe('the share token of the link (POST /api/rides/{id}/share on the auth service)') });
  registry.registerPath({
    method: 'post',
    path: '/api/locations',
    tags: ['locations'],
    security: [{ [bearerAuth.name]: [] }],
    summary: 'Fixes taken while the app was in the background (drivers)',
    description:
      'For apps whose socket the phone suspended: 1..100 fixes. Fixes older than the newest known, more than 60 s in the future, or with accuracyM > 100 are skipped; the newest good one counts like a location.update for a driver who is online or on a ride. HTTP fixes keep an on-ride driver visible but never make an offline driver offerable.',
    request: { body: { content: { 'application/json': { schema: LocationBatchBody } } } },
    responses: {
      202: jsonContent(LocationBatchAccepted, 'how many fixes counted and how many were skipped'),
      ...errorResponses('validation_failed', 'invalid_json', 'payload_too_large', 'unauthenticated', 'invalid_token', 'token_expired', 'session_revoked', 'forbidden', 'rate_limited', 'db_unavailable'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/track/{token}',
    tags: ['track'],
    summary: 'The shared trip: ride status, pickup, dropoff and the driver (no login: the token is the grant)',
    request: { params: tokenParam },
    responses: {
      200: jsonContent(TrackView, 'the trip as the link shows it'),
      ...errorResponses('not_found', 'link_expired', 'db_unavailable'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/track/{token}/events',
    tags: ['track'],
    summary: 'The shared trip live, as Server-Sent Events until the ride ends',
    description: 'Events `track` (the whole TrackView: first, and again when the status or driver changes), `location` ({lat, lng, heading, ts}: the driver moved) and `ended` ({status}; the stream closes).',
    request: { params: tokenParam },
    responses: {
      200: { description: 'the event stream', content: { 'text/event-stream': { schema: z.string(), example: 'event: location\ndata: {"lat":24.86,"lng":67.0,"heading":90,"ts":1764115200000}\n\n' } } },
      ...errorResponses('not_found', 'link_expired', 'db_unavailable'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/track/{token}',
    tags: ['track'],
    summary: 'The shared trip as a page for a person (a map following the driver)',
    request: { params: tokenParam },
    responses: {
      200: { description: 'the page', content: { 'text/html': { schema: z.string() } } },
      404: { description: 'no such link (the page says so)', content: { 'text/html': { schema: z.string() } } },
      410: { description: 'the trip has ended (the page says so)', content: { 'text/html': { schema: z.string() } } },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/health',
    tags: ['health'],
    summary: 'Connection counts, database and (cluster) Redis reachability, and the nodes of the cluster',
    description:
      'Runs `SELECT 1` (and, in a cluster, a Redis PING) with a one-second deadline on every call. 503 (same body, status "degraded") while the database, or in cluster mode Redis, does not answer; the service keeps running and recovers by itself. `node` names this process (`mode` "single" without REDIS_URL, "cluster" with it); `cluster.nodes` lists every live node of the registry in Redis (heartbeat within CLUSTER_NODE_DEAD_MS) with its own connection counts, while the top-level `connections` are this node\'s.',
    responses: {
      200: jsonContent(HealthRealtime, 'healthy'),
      503: jsonContent(HealthRealtime, 'degraded: the database (or, in a cluster, Redis) does not answer'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/live',
    tags: ['health'],
    summary: 'The process runs (for proxies and orchestrators)',
    description: 'Always 200 while the process serves HTTP, whatever the database or Redis: a Redis outage must not take every node out of a load balancer\'s rotation. Use /api/health for readiness and alerts.',
    responses: { 200: jsonContent(LiveRealtime, 'the process runs') },
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
      'The HTTP routes of the realtime service. Its WebSocket (`/ws`) is described by the AsyncAPI document at `/api/docs/asyncapi.json`; both are drawn for people at `/api/docs`.',
    tags: {
      health: 'Is the service up, how many sockets, can it reach its database?',
      metrics: 'Prometheus scraping.',
      docs: 'The machine-readable contract.',
      locations: 'Driver fixes sent over HTTP while the socket is suspended.',
      track: 'The shared-trip link: a read-only view of one ride, no login.',
    },
    operationIds: {
      'get /api/health': 'getRealtimeHealth',
      'get /api/live': 'getRealtimeLive',
      'get /metrics': 'getMetrics',
      'get /api/docs/openapi.json': 'getOpenApiDocument',
      'get /api/docs/asyncapi.json': 'getAsyncApiDocument',
      'post /api/locations': 'postBackgroundLocations',
      'get /api/track/{token}': 'getTrackView',
      'get /api/track/{token}/events': 'streamTrackEvents',
      'get /track/{token}': 'getTrackPage',
    },
  });
}
