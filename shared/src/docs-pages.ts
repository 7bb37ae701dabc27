/**
 * `GET /api/docs` on both services: the machine-readable documents, and pages that render them
 * for a person from renderers installed as npm packages and served from this service (no CDN:
 * the pages work offline). OpenAPI is drawn by swagger-ui-dist, AsyncAPI by the standalone bundle
 * of @asyncapi/react-component. A plain node:http handler, so the Express service mounts it too.
 *
 * Routes: every page in `pages` (HTML), `/api/docs/<name>.json` for every document, and
 * `/api/docs/assets/<file>` for the renderers' files (a fixed list: nothing else is readable).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

export const DOCS_PATH = '/api/docs';

export type DocsPageKind = 'openapi' | 'asyncapi';

export interface DocsPage {
  title: string;
  kind: DocsPageKind;
  /** The document it renders, e.g. `/api/docs/openapi.json`. */
  documentUrl: string;
  /** Links shown above the rendering (other pages, the raw documents). */
  links: { href: string; text: string }[];
}

export interface DocsOptions {
  /** Document name (served at /api/docs/<name>.json) -> its builder (called once, then cached). */
  documents: Record<string, () => unknown>;
  /** Path (e.g. `/api/docs`) -> page. */
  pages: Record<string, DocsPage>;
  /** Folders of the installed renderer packages (each service resolves its own dependencies). */
  swaggerUiDir?: string;
  asyncApiComponentDir?: string;
}

interface Asset {
  file: string | (() => string);
  type: string;
}

/** The page's own script: reads what to render from data attributes (no inline script under the CSP). */
const OPENAPI_INIT = `
const root = document.getElementById('docs');
window.SwaggerUIBundle({ url: root.dataset.document, domNode: root, deepLinking: true });
`;
const ASYNCAPI_INIT = `
const root = document.getElementById('docs');
fetch(root.dataset.document)
  .then((answer) => answer.text())
  .then((schema) => window.AsyncApiStandalone.render({ schema, config: { show: { sidebar: true } } }, root));
`;

const pageCsp = (kind: DocsPageKind) => [
  "default-src 'self'",
  // the AsyncAPI bundle validates the document in the page with ajv, which compiles with new Function
  kind === 'asyncapi' ? "script-src 'self' 'unsafe-eval'" : "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function docsPageHtml(page: DocsPage): string {
  const assets =
    page.kind === 'openapi'
      ? { css: 'swagger-ui.css', scripts: ['swagger-ui-bundle.js', 'openapi-init.js'] }
      : { css: 'asyncapi.css', scripts: ['asyncapi-standalone.js', 'asyncapi-init.js'] };
  const links = page.links.map((link) => `<a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a>`).join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(page.title)}</title>
<link rel="stylesheet" href="${DOCS_PATH}/assets/${assets.css}">
<link rel="stylesheet" href="${DOCS_PATH}/assets/docs.css">
</head>
<body>
<nav class="drivrr-docs-nav"><strong>${escapeHtml(page.title)}</strong> ${links}</nav>
<main id="docs" data-document="${escapeHtml(page.documentUrl)}"></main>
${assets.scripts.map((script) => `<script src="${DOCS_PATH}/assets/${script}"></script>`).join('\n')}
</body>
</html>
`;
}

const NAV_CSS = `.drivrr-docs-nav{font:14px/1.4 system-ui,sans-serif;padding:8px 16px;border-bottom:1px solid #ddd;background:#fafafa}
.drivrr-docs-nav a{margin-left:8px}`;

function assetsOf(options: DocsOptions): Map<string, Asset> {
  const assets = new Map<string, Asset>([['docs.css', { file: () => NAV_CSS, type: 'text/css; charset=utf-8' }]]);
  if (options.swaggerUiDir) {
    assets.set('swagger-ui.css', { file: path.join(options.swaggerUiDir, 'swagger-ui.css'), type: 'text/css; charset=utf-8' });
    assets.set('swagger-ui-bundle.js', { file: path.join(options.swaggerUiDir, 'swagger-ui-bundle.js'), type: 'text/javascript; charset=utf-8' });
    assets.set('openapi-init.js', { file: () => OPENAPI_INIT, type: 'text/javascript; charset=utf-8' });
  }
  if (options.asyncApiComponentDir) {
    assets.set('asyncapi.css', { file: path.join(options.asyncApiComponentDir, 'styles', 'default.min.css'), type: 'text/css; charset=utf-8' });
    assets.set('asyncapi-standalone.js', { file: path.join(options.asyncApiComponentDir, 'browser', 'standalone', 'index.js'), type: 'text/javascript; charset=utf-8' });
    assets.set('asyncapi-init.js', { file: () => ASYNCAPI_INIT, type: 'text/javascript; charset=utf-8' });
  }
  return assets;
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }));
}

/** Returns true when it answered the request (its path is under /api/docs). */
export function createDocsHandler(options: DocsOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const assets = assetsOf(options);
  const rendered = new Map<string, string>();
  const cache = new Map<string, Buffer>();
  return (req, res) => {
    const urlPath = (req.url ?? '/').split('?')[0] ?? '/';
    if (urlPath !== DOCS_PATH && !urlPath.startsWith(`${DOCS_PATH}/`)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendError(res, 405, 'method_not_allowed', `${req.method} is not allowed on ${urlPath}`);
      return true;
    }
    const page = options.pages[urlPath];
    if (page) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': pageCsp(page.kind), 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : docsPageHtml(page));
      return true;
    }
    const documentName = /^\/api\/docs\/([a-z]+)\.json$/.exec(urlPath)?.[1];
    if (documentName !== undefined && Object.hasOwn(options.documents, documentName)) {
      let body = rendered.get(documentName);
      if (body === undefined) {
        body = JSON.stringify(options.documents[documentName]!());
        rendered.set(documentName, body);
      }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache', 'access-control-allow-origin': '*' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    }
    const assetName = urlPath.startsWith(`${DOCS_PATH}/assets/`) ? urlPath.slice(`${DOCS_PATH}/assets/`.length) : undefined;
    const asset = assetName === undefined ? undefined : assets.get(assetName);
    if (!asset || assetName === undefined) {
      sendError(res, 404, 'not_found', `no such document or file: ${urlPath}`);
      return true;
    }
    const cached = cache.get(assetName);
    const body: Promise<Buffer> = cached
      ? Promise.resolve(cached)
      : typeof asset.file === 'string'
        ? readFile(asset.file)
        : Promise.resolve(Buffer.from(asset.file()));
    body.then(
      (bytes) => {
        cache.set(assetName, bytes);
        res.writeHead(200, { 'content-type': asset.type, 'content-length': bytes.length, 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' });
        res.end(req.method === 'HEAD' ? undefined : bytes);
      },
      () => sendError(res, 503, 'service_unavailable', `the docs renderer is not installed (${assetName}): run npm install`),
    );
    return true;
  };
}
