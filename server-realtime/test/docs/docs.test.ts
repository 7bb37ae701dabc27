/**
 * The realtime service's machine-readable contract, fetched over HTTP from a running service: the
 * AsyncAPI 3 document of the WebSocket (every message of both directions and every ack) and the
 * OpenAPI document of its HTTP routes, each lint-clean, and the pages that draw them offline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_MESSAGE_TYPES, clientMessageAcks, serverMessageData } from '@drivrr/shared/protocol';
import { ERROR_CODES } from '@drivrr/shared';
import { startTestStack, type TestStack } from '../../../test-support/stack.js';
import { asyncApiFindings, spectralOasFindings } from '../../../test-support/contract-lint.js';

let stack: TestStack;
let base: string;

beforeAll(async () => {
  stack = await startTestStack({ auth: false });
  base = stack.realtime!.url;
});
afterAll(async () => {
  await stack.stop();
});

async function getJson(path: string): Promise<any> {
  const answer = await fetch(`${base}${path}`);
  expect(answer.status, path).toBe(200);
  expect(answer.headers.get('content-type')).toContain('application/json');
  return answer.json();
}

describe('the AsyncAPI document at /api/docs/asyncapi.json', () => {
  it('is an AsyncAPI 3 document that @asyncapi/parser reads without a single finding', async () => {
    const document = await getJson('/api/docs/asyncapi.json');

    const { findings, parsed } = await asyncApiFindings(document);

    expect(document.asyncapi).toMatch(/^3\./);
    expect(findings).toEqual([]);
    expect(parsed).toBe(true);
  });

  it('declares every client message with its ack as the reply, and every server message', async () => {
    const document = await getJson('/api/docs/asyncapi.json');
    const messages = Object.values(document.components.messages) as { name: string; title: string; payload: any }[];
    const byTitle = new Map(messages.map((m) => [m.title, m]));

    for (const type of CLIENT_MESSAGE_TYPES) {
      expect(byTitle.get(type)?.name, type).toBe(type);
      const ack = byTitle.get(`ack of ${type}`);
      expect(ack, `ack of ${type}`).toBeDefined();
      expect(ack!.payload.schema.properties.type.const).toBe('ack');
      expect('data' in ack!.payload.schema.properties, `ack of ${type} has data`).toBe(clientMessageAcks[type] !== null);
      const operation = Object.values(document.operations as Record<string, any>).find((o) => o.title === type && o.action === 'receive');
      expect(operation?.reply?.messages?.length, `reply of ${type}`).toBe(2);
    }
    for (const type of Object.keys(serverMessageData).filter((t) => t !== 'ack' && t !== 'error')) {
      expect(byTitle.get(type)?.name, type).toBe(type);
    }
    expect(byTitle.get('error')).toBeDefined();
  });

  it('gives payloads as JSON Schema draft-07 and the error codes as an enum', async () => {
    const document = await getJson('/api/docs/asyncapi.json');
    const payloads = Object.values(document.components.messages).map((m: any) => m.payload.schemaFormat);

    expect(new Set(payloads)).toEqual(new Set(['application/schema+json;version=draft-07']));
    expect(document.components.schemas.ErrorCode.enum).toEqual(ERROR_CODES);
    // draft-07 has no $defs or prefixItems (2020-12 keywords)
    expect(JSON.stringify(document)).not.toMatch(/"\$defs"|"prefixItems"/);
  });
});

describe('the OpenAPI document of the realtime service at /api/docs/openapi.json', () => {
  it('passes Spectral spectral:oas with no errors and no warnings', async () => {
    const document = await getJson('/api/docs/openapi.json');

    expect(await spectralOasFindings(document)).toEqual([]);
  });

  it('declares the routes the service serves, each with an operationId', async () => {
    const document = await getJson('/api/docs/openapi.json');

    expect(document.paths['/api/health'].get.operationId).toBe('getRealtimeHealth');
    expect(document.paths['/api/docs/asyncapi.json'].get.operationId).toBeDefined();
    expect(document.components.schemas.HealthRealtime).toBeDefined();
    // contract 1.1: background locations and the shared-trip view
    expect(document.paths['/api/locations'].post.operationId).toBe('postBackgroundLocations');
    expect(document.paths['/api/locations'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/LocationBatchBody');
    expect(Object.keys(document.paths['/api/locations'].post.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '403', '429']));
    expect(document.paths['/api/track/{token}'].get.operationId).toBe('getTrackView');
    expect(document.paths['/api/track/{token}'].get.responses['410']).toBeDefined();
    expect(document.paths['/api/track/{token}/events'].get.responses['200'].content['text/event-stream']).toBeDefined();
  });
});

describe('GET /api/docs', () => {
  it('draws the AsyncAPI document with the renderer served by this service, not a CDN', async () => {
    const page = await fetch(`${base}/api/docs`);
    const html = await page.text();

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(html).toContain('data-document="/api/docs/asyncapi.json"');
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((s) => !s.startsWith('data:'));
    expect(sources.every((source) => source.startsWith('/'))).toBe(true);
    for (const source of sources.filter((s) => s.startsWith('/api/docs/assets/'))) {
      const asset = await fetch(`${base}${source}`);
      expect(asset.status, source).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, source).toBeGreaterThan(10);
    }
  });

  it('draws the HTTP routes with Swagger UI at /api/docs/rest', async () => {
    const html = await (await fetch(`${base}/api/docs/rest`)).text();

    expect(html).toContain('/api/docs/assets/swagger-ui-bundle.js');
    expect(html).toContain('data-document="/api/docs/openapi.json"');
  });

  it('answers 404 for a file that is not one of the renderers', async () => {
    const answer = await fetch(`${base}/api/docs/assets/..%2F..%2Fpackage.json`);

    expect(answer.status).toBe(404);
    expect((await answer.json()).error.code).toBe('not_found');
  });
});
