/**
 * How the page reaches people: the realtime service serves the built page at /ops (static files,
 * nothing outside the folder), and the auth service lets that page, and only a page on the same
 * host, call the sign-in endpoints from the browser (CORS).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpsStaticHandler } from '../../server-realtime/src/ops/static-files.js';
import { startTestStack, type TestStack } from '../../test-support/stack.js';

function rawGet(base: string, rawPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path: rawPath }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('the /ops static files', () => {
  let dir: string;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ops-map-'));
    await mkdir(path.join(dir, 'assets'));
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>ops</title>');
    await writeFile(path.join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
    await writeFile(path.join(os.tmpdir(), 'ops-secret.txt'), 'secret');
    const handler = createOpsStaticHandler(dir);
    const missing = createOpsStaticHandler(path.join(dir, 'nope'));
    server = http.createServer((req, res) => {
      if (req.url?.startsWith('/missing')) {
        req.url = req.url.slice('/missing'.length) || '/';
        if (missing(req, res)) return;
      } else if (handler(req, res)) return;
      res.writeHead(418).end('not mine');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
    await rm(path.join(os.tmpdir(), 'ops-secret.txt'), { force: true });
  });

  it('serves the page at /ops and /ops/, always revalidated', async () => {
    for (const p of ['/ops', '/ops/', '/ops/index.html']) {
      const res = await fetch(`${base}${p}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await res.text()).toContain('<title>ops</title>');
    }
  });

  it('serves hashed assets with their type, cached for good', async () => {
    const res = await fetch(`${base}/ops/assets/app-1234.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toContain('immutable');
  });

  it('never serves a file outside the folder, nor a missing one', async () => {
    // Raw paths: fetch() would normalise the dot segments away before sending.
    for (const p of ['/ops/../ops-secret.txt', '/ops/%2e%2e/ops-secret.txt', '/ops/..%2f..%2fetc%2fpasswd', '/ops/assets/nope.js']) {
      const res = await rawGet(`${base}`, p);
      expect(res.status, p).toBe(404);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('answers 405 to anything but GET and HEAD, and leaves other paths alone', async () => {
    const post = await fetch(`${base}/ops`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${base}/opsx`)).status).toBe(418);
    expect((await fetch(`${base}/api/health`)).status).toBe(418);
  });

  it('says how to build the page when it is not built', async () => {
    const res = await fetch(`${base}/missing/ops`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('service_unavailable');
    expect(body.error.message).toContain('npm run build');
  });
});

describe('sign-in from the page (CORS on the auth service)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ realtime: false, authEnv: { OPERATOR_PHONES: '+923990000001', OTP_TEST_PHONES: '+923990000001=000000' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('lets a page on the same host (another port) preflight and call the OTP endpoints', async () => {
    const url = new URL(stack.auth!.url);
    const origin = `http://${url.hostname}:8081`;
    const preflight = await fetch(`${stack.auth!.url}/api/auth/otp/send`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

    const send = await fetch(`${stack.auth!.url}/api/auth/otp/send`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '+923990000001', role: 'operator' }),
    });
    expect(send.status).toBe(202);
    expect(send.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('gives a page from another host, or another endpoint, no CORS headers', async () => {
    const evil = await fetch(`${stack.auth!.url}/api/auth/otp/send`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const url = new URL(stack.auth!.url);
    const me = await fetch(`${stack.auth!.url}/api/users/me`, { headers: { origin: `http://${url.hostname}:8081` } });
    expect(me.headers.get('access-control-allow-origin')).toBeNull();
  });
});
