/**
 * The service's OpenAPI 3 document, generated from the same zod schemas that validate requests.
 * Every router registers its paths here when its module loads (`registerPath`); the document is
 * built once, on first request, at GET /api/docs/openapi.json (and shown at GET /api/docs).
 * Component names, the error enum, operationIds and tags are decided in one place:
 * `generateOpenApiDocument` (@drivrr/shared/openapi) and the tables below.
 *
 * For another router: `import { registerPath, jsonContent, errorResponses } from './openapi.js'`
 * and call `registerPath({ method, path: '/api/x/{id}', summary, tags, security: bearerSecurity, request, responses })`.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { OpenAPIRegistry, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { ERROR_CODES } from '@drivrr/shared';
import { createDocsHandler } from '@drivrr/shared/docs-pages';
import { generateOpenApiDocument } from '@drivrr/shared/openapi';

export { errorResponses, jsonContent } from '@drivrr/shared/openapi';

export const openApiRegistry = new OpenAPIRegistry();

const bearerAuth = openApiRegistry.registerComponent('securitySchemes', 'bearerAuth', {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description: 'An access token from POST /api/auth/otp/verify or /api/auth/refresh (ES256, 15 minutes).',
});

/** `security` of an endpoint that needs an access token. */
export const bearerSecurity = [{ [bearerAuth.name]: [] }];

/** Names a generated client's methods get (`METHOD /path`); a route not listed gets a derived one. */
const OPERATION_IDS: Record<string, string> = {
  'get /api/health': 'getHealth',
  'post /api/auth/otp/send': 'sendOtp',
  'post /api/auth/otp/verify': 'verifyOtp',
  'post /api/auth/refresh': 'refreshTokens',
  'post /api/auth/logout': 'logout',
  'get /api/auth/jwks.json': 'getJwks',
  'get /api/users/me': 'getMe',
  'patch /api/users/me': 'updateMe',
  'get /api/users/me/addresses': 'listAddresses',
  'post /api/users/me/addresses': 'createAddress',
  'patch /api/users/me/addresses/{id}': 'updateAddress',
  'delete /api/users/me/addresses/{id}': 'deleteAddress',
  'get /api/users/me/vehicle': 'getVehicle',
  'put /api/users/me/vehicle': 'putVehicle',
  'get /api/rides': 'listRides',
  'get /api/rides/{id}': 'getRide',
  'get /api/rides/{id}/messages': 'listRideMessages',
  'post /api/rides/{id}/rating': 'rateRide',
  'get /api/payments/wallet': 'getWallet',
  'post /api/payments/wallet/topup': 'topUpWallet',
  'get /api/payments/transactions': 'listTransactions',
};

const TAGS = {
  health: 'Is the service up, and can it reach its database?',
  auth: 'Phone + one-time code login, token refresh and logout, the keys that verify access tokens.',
  users: "The caller's account, saved addresses and (drivers) vehicle.",
  rides: "The caller's ride history, one ride's detail and timeline, its chat, ratings.",
  payments: 'Wallet balance, top-ups and transactions (integer minor units).',
};

let cached: ReturnType<typeof generateOpenApiDocument> | undefined;

export function registerPath(route: RouteConfig): void {
  cached = undefined;
  openApiRegistry.registerPath(route);
}

export function buildOpenApiDocument(version: string) {
  cached ??= generateOpenApiDocument(openApiRegistry, {
    title: 'Drivrr auth/REST API',
    version,
    description: [
      'Accounts, ride history, ratings and payments of Drivrr. JSON everywhere, camelCase, ISO-8601 UTC times,',
      'money in integer minor units. Errors are `{error: {code, message, details?}}`;',
      `the codes (\`ErrorCode\`) grow over time, so clients must tolerate unknown ones. Codes today: ${ERROR_CODES.join(', ')}.`,
    ].join(' '),
    tags: TAGS,
    operationIds: OPERATION_IDS,
  });
  return cached;
}

/** GET /api/docs (the document drawn by Swagger UI, served from this service), /api/docs/openapi.json. */
export function docsRouter(version: string): Router {
  const swaggerUiDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const handle = createDocsHandler({
    documents: { openapi: () => buildOpenApiDocument(version) },
    pages: {
      '/api/docs': {
        title: 'Drivrr auth/REST API',
        kind: 'openapi',
        documentUrl: '/api/docs/openapi.json',
        links: [{ href: '/api/docs/openapi.json', text: 'openapi.json' }],
      },
    },
    swaggerUiDir,
  });
  const router = Router();
  router.use((req, res, next) => {
    if (!handle(req, res)) next();
  });
  return router;
}
