/**
 * The service's OpenAPI 3 document, generated from the same zod schemas that validate requests.
 * Every router registers its paths here when its module loads (`registerPath`); the document is
 * built once, on first request, at GET /api/docs/openapi.json.
 *
 * For another router: `import { registerPath, jsonContent, errorResponses } from './openapi.js'`
 * and call `registerPath({ method, path: '/api/x/{id}', summary, security: bearerSecurity, request, responses })`.
 */
import { OpenAPIRegistry, OpenApiGeneratorV3, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { z } from 'zod';
import { ERROR_CODES, ERROR_STATUS, type ErrorCode } from '@drivrr/shared';
import { ErrorBodySchema } from '@drivrr/shared/protocol';

export const openApiRegistry = new OpenAPIRegistry();

const bearerAuth = openApiRegistry.registerComponent('securitySchemes', 'bearerAuth', {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description: 'An access token from POST /api/auth/otp/verify or /api/auth/refresh (ES256, 15 minutes).',
});

/** `security` of an endpoint that needs an access token. */
export const bearerSecurity = [{ [bearerAuth.name]: [] }];

const ErrorBody = ErrorBodySchema;

let cached: ReturnType<OpenApiGeneratorV3['generateDocument']> | undefined;

export function registerPath(route: RouteConfig): void {
  cached = undefined;
  openApiRegistry.registerPath(route);
}

/** A JSON body (request or response) of this schema. */
export function jsonContent(schema: z.ZodType, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/**
 * Error responses grouped by status, each listing the codes it may carry. Every endpoint also
 * documents 400 validation_failed / invalid_json, 413 and 500 implicitly through `commonErrors`.
 */
export function errorResponses(...codes: ErrorCode[]): NonNullable<RouteConfig['responses']> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  const responses: NonNullable<RouteConfig['responses']> = {};
  for (const [status, list] of byStatus) {
    responses[status] = { description: `error: ${list.join(', ')}`, content: { 'application/json': { schema: ErrorBody } } };
  }
  return responses;
}

export function buildOpenApiDocument(version: string) {
  cached ??= new OpenApiGeneratorV3(openApiRegistry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'Drivrr auth/REST API',
      version,
      description: `Accounts, rides history, ratings and payments. Errors are {error:{code,message,details?}}; codes: ${ERROR_CODES.join(', ')}.`,
    },
    servers: [{ url: '/' }],
  });
  return cached;
}

export function docsRouter(version: string): Router {
  const router = Router();
  router.get('/api/docs/openapi.json', (_req, res) => {
    res.json(buildOpenApiDocument(version));
  });
  return router;
}
