/**
 * What both services' OpenAPI documents share: the protocol's schemas named as components, the
 * error body with its codes as an enum, error responses by status with an example per code and
 * `Retry-After` where the services send it, and the finishing pass that gives every operation an
 * `operationId`, a description and a declared tag. The routes themselves are registered next to
 * their handlers (server-auth/src/http/*.ts) or in the service's document module.
 */
import { OpenApiGeneratorV3, zodToOpenAPIRegistry, type OpenAPIRegistry, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ERROR_CODES, ERROR_STATUS, type ErrorCode } from './errors.js';
import { protocolSchemaNames } from './protocol/catalog.js';

/** The documents' own version of the error body: the code is the closed (and growing) enum. */
export const ErrorCodeEnum = z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]);
export const ApiErrorBody = z.object({
  error: z.object({
    code: ErrorCodeEnum,
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** Statuses whose answers carry `Retry-After` (seconds): rate limits, and the database being down. */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

/** Names the protocol's schemas (and the error body) once, for every generator in this process. */
function nameSchemas(): void {
  for (const [schema, name] of protocolSchemaNames()) {
    if (zodToOpenAPIRegistry.get(schema)) continue;
    zodToOpenAPIRegistry.add(schema, { _internal: { refId: name }, ...(EXAMPLES[name] ? { example: EXAMPLES[name] } : {}) });
  }
  if (!zodToOpenAPIRegistry.get(ApiErrorBody)) {
    zodToOpenAPIRegistry.add(ErrorCodeEnum, {
      _internal: { refId: 'ErrorCode' },
      description: 'What went wrong, for programs to switch on. The set grows: treat an unknown code like a generic error of its HTTP status.',
    });
    zodToOpenAPIRegistry.add(ApiErrorBody, {
      _internal: { refId: 'ErrorBody' },
      description: 'Every error answer of both services.',
      example: { error: { code: 'validation_failed', message: 'invalid body', details: { issues: [{ path: 'phone', message: 'Required' }] } } },
    });
  }
}

/** Component examples, by schema name (each is checked against its schema by the lint test). */
const EXAMPLES: Record<string, unknown> = {
  LatLng: { lat: 24.8607, lng: 67.0011 },
  Place: { lat: 24.8607, lng: 67.0011, address: 'Saddar, Karachi' },
  OtpSendBody: { phone: '+923001234567', role: 'customer' },
  OtpSendResponse: { expiresInS: 300, resendAfterS: 30 },
  OtpVerifyBody: { phone: '+923001234567', code: '000000', role: 'customer' },
  RefreshBody: { refreshToken: 'r1.Zk3Vn0m1QmM2LhV4b2pQ9w' },
  WalletView: { balance: 150000, currency: 'PKR' },
  TopupBody: { amount: 50000 },
  RatingBody: { stars: 5, comment: 'Smooth ride' },
  VehicleBody: { make: 'Suzuki', model: 'Alto', color: 'white', plate: 'ABC-123', type: 'car' },
  AddressBody: { label: 'Home', address: 'Block 5, Clifton, Karachi', lat: 24.8138, lng: 67.0299 },
  UpdateMeBody: { name: 'Ayesha Khan', email: 'ayesha@example.com' },
};

/** One error response per status, listing its codes, with an example of each. */
export function errorResponses(...codes: ErrorCode[]): Record<number, ResponseConfig> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  const responses: Record<number, ResponseConfig> = {};
  for (const [status, list] of byStatus) {
    const examples = Object.fromEntries(list.map((code) => [code, { value: { error: { code, message: code.replaceAll('_', ' ') } } }]));
    responses[status] = {
      description: `error: ${list.join(', ')}`,
      ...(RETRY_AFTER_STATUSES.has(status)
        ? { headers: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } } } }
        : {}),
      content: { 'application/json': { schema: ApiErrorBody, examples } },
    };
  }
  return responses;
}

/** A JSON body (request or response) of this schema. */
export function jsonContent(schema: z.ZodType, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
  /** Tag name -> what it groups. Every tag an operation uses must be here. */
  tags: Record<string, string>;
  /** `METHOD /path` -> operationId; an operation not listed gets one made from its method and path. */
  operationIds?: Record<string, string>;
}

type OpenApiDocument = ReturnType<OpenApiGeneratorV3['generateDocument']>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** `post /api/users/me/addresses/{id}` -> `postUsersMeAddressesById`. */
export function derivedOperationId(method: string, path: string): string {
  const words = path
    .replace(/^\/api\//, '/')
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith('{') ? `by-${part.slice(1, -1)}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return method + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

/** The document of `registry`, finished: operationIds, descriptions, tags, contact, license. */
export function generateOpenApiDocument(registry: OpenAPIRegistry, info: DocumentInfo): OpenApiDocument {
  nameSchemas();
  const document = new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: info.title,
      version: info.version,
      description: info.description,
      contact: { name: 'Drivrr maintainers' },
      license: { name: 'MIT' },
    },
    servers: [{ url: '/', description: 'this service' }],
    tags: Object.entries(info.tags).map(([name, description]) => ({ name, description })),
  });
  withoutTypelessNullable(document.components);
  withoutTypelessNullable(document.paths);
  const seen = new Set<string>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      operation.operationId ??= info.operationIds?.[`${method} ${path}`] ?? derivedOperationId(method, path);
      if (seen.has(operation.operationId)) throw new Error(`two operations are named ${operation.operationId}`);
      seen.add(operation.operationId);
      if (!operation.description) operation.description = operation.summary ?? operation.operationId;
      for (const tag of operation.tags ?? []) {
        if (!(tag in info.tags)) throw new Error(`${method} ${path} uses the undeclared tag "${tag}"`);
      }
    }
  }
  return document;
}

/**
 * `z.unknown()` comes out as `{nullable: true}`, which OpenAPI 3.0 forbids without a `type`; a
 * schema with no type already admits any value, so the flag is dropped.
 */
function withoutTypelessNullable(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) withoutTypelessNullable(item);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  if (record.nullable === true && record.type === undefined && record.$ref === undefined && record.allOf === undefined && record.anyOf === undefined && record.oneOf === undefined) {
    delete record.nullable;
  }
  for (const [key, value] of Object.entries(record)) {
    if (key !== 'example' && key !== 'examples') withoutTypelessNullable(value);
  }
}
