/**
 * The auth service's OpenAPI document as a client generator and a linter see it, fetched over
 * HTTP from a running service: Spectral-clean, an operationId on every operation, named schemas,
 * the error codes as an enum, Retry-After on 429s, examples; and the page that draws it offline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@drivrr/shared';
import { startTestStack, type TestStack } from '../../test-support/stack.js';
import { spectralOasFindings } from '../../test-support/contract-lint.js';

let stack: TestStack;
let document: any;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
function operations(): [string, any][] {
  return Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => [`${m} ${path}`, item[m]] as [string, any]),
  );
}

beforeAll(async () => {
  stack = await startTestStack({ realtime: false });
  const answer = await fetch(`${stack.auth!.url}/api/docs/openapi.json`);
  expect(answer.status).toBe(200);
  document = await answer.json();
});
afterAll(async () => {
  await stack.stop();
});

describe('the OpenAPI document at /api/docs/openapi.json', () => {
  it('passes Spectral spectral:oas with no errors and no warnings', async () => {
    expect(await spectralOasFindings(document)).toEqual([]);
  });

  it('names every operation with a unique operationId', () => {
    const ids = operations().map(([, op]) => op.operationId);

    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(document.paths['/api/auth/otp/verify'].post.operationId).toBe('verifyOtp');
  });

  it('refers to named component schemas instead of repeating them inline', () => {
    const schemas = document.components.schemas;

    for (const name of ['RideView', 'RideDetailView', 'UserView', 'TokenPair', 'OtpVerifyBody', 'ErrorBody', 'ErrorCode']) expect(schemas[name], name).toBeDefined();
    expect(document.paths['/api/rides/{id}'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/RideDetailView' });
  });

  it('gives the error codes as an enum that every error response refers to', () => {
    expect(document.components.schemas.ErrorCode.enum).toEqual(ERROR_CODES);
    expect(document.components.schemas.ErrorBody.properties.error.properties.code).toEqual({ $ref: '#/components/schemas/ErrorCode' });
    const send = document.paths['/api/auth/otp/send'].post.responses;
    expect(Object.keys(send['400'].content['application/json'].examples)).toEqual(expect.arrayContaining(['invalid_phone', 'validation_failed']));
  });

  it('declares Retry-After on every 429 answer', () => {
    const limited = operations().filter(([, op]) => op.responses['429']);

    expect(limited.map(([name]) => name)).toEqual(expect.arrayContaining(['post /api/auth/otp/send', 'post /api/auth/otp/verify']));
    for (const [name, op] of limited) expect(op.responses['429'].headers?.['Retry-After'], name).toBeDefined();
  });

  it('carries examples for the login bodies', () => {
    expect(document.components.schemas.OtpSendBody.example).toEqual({ phone: '+923001234567', role: 'customer' });
  });
});

describe('GET /api/docs', () => {
  it('draws the document with Swagger UI served by this service, not a CDN', async () => {
    const page = await fetch(`${stack.auth!.url}/api/docs`);
    const html = await page.text();

    expect(page.status).toBe(200);
    expect(html).toContain('data-document="/api/docs/openapi.json"');
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((s) => !s.startsWith('data:'));
    expect(sources.length).toBeGreaterThan(2);
    expect(sources.every((source) => source.startsWith('/'))).toBe(true);
    const bundle = await fetch(`${stack.auth!.url}/api/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
  });
});
