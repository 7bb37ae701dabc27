/**
 * Serves the built ops page (ops-map/dist) under `/ops`: `/ops` and `/ops/` give index.html,
 * `/ops/assets/...` the hashed bundles. GET/HEAD only, no path leaves the folder.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const OPS_PATH = '/ops';

/** ops-map/dist of the workspace: src/ops and dist/ops are both three levels below the root. */
export function defaultOpsMapDir(): string {
  return fileURLToPath(new URL('../../../ops-map/dist/', import.meta.url));
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/**
 * The page keeps an operator token in sessionStorage: no script but its own bundle may run, and
 * it may not be framed. It talks to the auth service (another port: http/https) and the socket.
 */
export const OPS_PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' http: https: ws: wss:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }));
}

/** Returns true when it handled the request (the path is under /ops). */
export type HttpRouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createOpsStaticHandler(dir: string): HttpRouteHandler {
  const root = path.resolve(dir);
  return (req, res) => {
    const urlPath = (req.url ?? '/').split('?')[0] ?? '/';
    if (urlPath !== OPS_PATH && !urlPath.startsWith(`${OPS_PATH}/`)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendError(res, 405, 'method_not_allowed', `${req.method} is not allowed on ${OPS_PATH}`);
      return true;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(urlPath.slice(OPS_PATH.length)).replace(/^\/+/, '');
    } catch {
      sendError(res, 400, 'validation_failed', 'the path is not valid');
      return true;
    }
    const isIndex = relative === '' || relative === 'index.html';
    const file = path.resolve(root, isIndex ? 'index.html' : relative);
    if (!file.startsWith(root + path.sep)) {
      sendError(res, 404, 'not_found', `no such file under ${OPS_PATH}`);
      return true;
    }
    readFile(file).then(
      (body) => {
        const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
        // Bundles are content-hashed: cache them for good; the page itself must always be fresh.
        const cache = isIndex ? 'no-cache' : 'public, max-age=31536000, immutable';
        const headers: Record<string, string | number> = { 'content-type': type, 'cache-control': cache, 'content-length': body.length, 'x-content-type-options': 'nosniff' };
        if (isIndex) {
          headers['content-security-policy'] = OPS_PAGE_CSP;
          headers['referrer-policy'] = 'no-referrer';
        }
        res.writeHead(200, headers);
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => {
        if (isIndex) sendError(res, 503, 'service_unavailable', 'the ops page is not built: run `npm run build` at the repository root');
        else sendError(res, 404, 'not_found', `no such file under ${OPS_PATH}`);
      },
    );
    return true;
  };
}
