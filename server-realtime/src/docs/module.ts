/**
 * The docs module: `GET /api/docs` draws the AsyncAPI document of the WebSocket, `/api/docs/rest`
 * the OpenAPI document of the HTTP routes, both from renderers installed as packages and served
 * here (offline); `/api/docs/asyncapi.json` and `/api/docs/openapi.json` are the documents.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { createDocsHandler } from '@drivrr/shared/docs-pages';
import { packageVersion } from '@drivrr/shared/service';
import type { RealtimeModule } from '../ws/contracts.js';
import { buildAsyncApiDocument } from './asyncapi.js';
import { buildRealtimeOpenApiDocument } from './openapi.js';

const VERSION = packageVersion(new URL('../../package.json', import.meta.url));

function packageDir(name: string): string {
  return path.dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
}

export function createDocsModule(): RealtimeModule {
  const links = [
    { href: '/api/docs', text: 'WebSocket (AsyncAPI)' },
    { href: '/api/docs/rest', text: 'HTTP (OpenAPI)' },
    { href: '/api/docs/asyncapi.json', text: 'asyncapi.json' },
    { href: '/api/docs/openapi.json', text: 'openapi.json' },
  ];
  return {
    name: 'docs',
    httpHandler: createDocsHandler({
      documents: {
        asyncapi: () => buildAsyncApiDocument(VERSION),
        openapi: () => buildRealtimeOpenApiDocument(VERSION),
      },
      pages: {
        '/api/docs': { title: 'Drivrr realtime WebSocket', kind: 'asyncapi', documentUrl: '/api/docs/asyncapi.json', links },
        '/api/docs/rest': { title: 'Drivrr realtime HTTP', kind: 'openapi', documentUrl: '/api/docs/openapi.json', links },
      },
      swaggerUiDir: packageDir('swagger-ui-dist'),
      asyncApiComponentDir: packageDir('@asyncapi/react-component'),
    }),
  };
}
