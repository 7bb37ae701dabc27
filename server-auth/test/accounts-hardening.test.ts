import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorCode } from '@drivrr/shared';
import { ErrorBodySchema } from '@drivrr/shared/protocol';
import { loginViaOtp, startTestStack, type TestStack } from '../../test-support/stack.js';
import { api } from './accounts-helpers.js';
import { createRng } from '@drivrr/shared/random';

let stack: TestStack;
let http: ReturnType<typeof api>;
let customer: string;
let driver: string;

beforeAll(async () => {
  // high per-IP limits: the fuzzer sends hundreds of bodies from 127.0.0.1
  stack = await startTestStack({ realtime: false, authEnv: { OTP_IP_SENDS_PER_HOUR: '100000', OTP_IP_VERIFY_FAILURES: '100000' } });
  http = api(stack);
  customer = (await loginViaOtp(stack, undefined, 'customer')).accessToken;
  driver = (await loginViaOtp(stack, undefined, 'driver')).accessToken;
});
afterAll(async () => {
  await stack?.stop();
});

function randomValue(rand: () => number, depth = 0): unknown {
  const pick = <T>(items: T[]) => items[Math.floor(rand() * items.length)]!;
  switch (Math.floor(rand() * (depth > 2 ? 6 : 8))) {
    case 0: return null;
    case 1: return rand() < 0.5;
    case 2: return pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53, 123456, 91, -181]);
    case 3: return pick(['', ' ', '+923001234567', '0300 1234567', '123456', '12345', 'customer', 'driver', 'operator', 'admin', 'x'.repeat(300), '\u0000', '😀', '<script>', "'; DROP TABLE users; --", 'car', 'a@b.co']);
    case 4: return String(Math.floor(rand() * 1e12));
    case 5: return `${pick(['+92', '+1', '0', ''])}${Math.floor(rand() * 1e10)}`;
    case 6: return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default: {
      const keys = ['phone', 'role', 'code', 'refreshToken', 'name', 'email', 'label', 'address', 'lat', 'lng', 'make', 'model', 'color', 'plate', 'type', '__proto__', 'constructor', 'extra'];
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(rand() * 6); i++) obj[pick(keys)] = randomValue(rand, depth + 1);
      return obj;
    }
  }
}

const targets: { method: string; path: string; auth?: 'customer' | 'driver' }[] = [
  { method: 'POST', path: '/api/auth/otp/send' },
  { method: 'POST', path: '/api/auth/otp/verify' },
  { method: 'POST', path: '/api/auth/refresh' },
  { method: 'POST', path: '/api/auth/logout' },
  { method: 'PATCH', path: '/api/users/me', auth: 'customer' },
  { method: 'POST', path: '/api/users/me/addresses', auth: 'customer' },
  { method: 'PATCH', path: '/api/users/me/addresses/00000000-0000-4000-8000-000000000000', auth: 'customer' },
  { method: 'PUT', path: '/api/users/me/vehicle', auth: 'driver' },
];

describe('malformed input', () => {
  it('answers 400 random bodies (seed 4242) on every accounts endpoint with a 4xx or 2xx in the contract shape, never a 5xx', async () => {
    const rand = createRng(4242).next;
    const failures: string[] = [];
    for (let i = 0; i < 400; i++) {
      const target = targets[i % targets.length]!;
      const body = randomValue(rand);
      const raw = rand() < 0.1 ? JSON.stringify(body).slice(0, -1) : JSON.stringify(body); // some truncated JSON too
      const token = target.auth === 'customer' ? customer : target.auth === 'driver' ? driver : undefined;
      const answer = await http.call(target.method, target.path, { raw, token });
      const shaped = answer.status < 400 || (ErrorBodySchema.safeParse(answer.body).success && isErrorCode(answer.body.error.code));
      if (answer.status >= 500 || !shaped) failures.push(`${target.method} ${target.path} ${raw} -> ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    expect(failures).toEqual([]);
  });

  it('answers invalid JSON with 400 invalid_json', async () => {
    const answer = await http.call('POST', '/api/auth/otp/send', { raw: '{"phone": "+923001234567", ' });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_json');
  });

  it('answers a body over 16 KiB with 413 payload_too_large', async () => {
    const answer = await http.call('POST', '/api/auth/otp/send', { raw: JSON.stringify({ phone: '+923001234567', role: 'customer', pad: 'x'.repeat(17_000) }) });
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('payload_too_large');
  });

  it('answers a missing body with validation_failed listing the fields', async () => {
    const answer = await http.call('POST', '/api/auth/otp/verify');
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
  });

  it('answers a GET on a POST-only auth path with 405', async () => {
    const answer = await http.get('/api/auth/otp/send');
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('POST');
  });
});

describe('OpenAPI document', () => {
  it('covers every accounts endpoint, generated from the zod schemas', async () => {
    const answer = await http.get('/api/docs/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toMatch(/^3\./);
    const paths = answer.body.paths as Record<string, Record<string, unknown>>;
    const expected: [string, string][] = [
      ['/api/health', 'get'],
      ['/api/auth/otp/send', 'post'], ['/api/auth/otp/verify', 'post'], ['/api/auth/refresh', 'post'],
      ['/api/auth/logout', 'post'], ['/api/auth/jwks.json', 'get'],
      ['/api/users/me', 'get'], ['/api/users/me', 'patch'],
      ['/api/users/me/addresses', 'get'], ['/api/users/me/addresses', 'post'],
      ['/api/users/me/addresses/{id}', 'patch'], ['/api/users/me/addresses/{id}', 'delete'],
      ['/api/users/me/vehicle', 'get'], ['/api/users/me/vehicle', 'put'],
    ];
    for (const [path, method] of expected) expect(paths[path]?.[method], `${method} ${path}`).toBeDefined();
    const verifyRef = (paths['/api/auth/otp/verify']!.post as any).requestBody.content['application/json'].schema; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(verifyRef).toEqual({ $ref: '#/components/schemas/OtpVerifyBody' });
    const schemas = answer.body.components.schemas as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(schemas.OtpVerifyBody.properties.code.pattern).toBe('^\\d{6}$');
    expect(schemas.OtpVerifyBody.properties.role).toEqual({ $ref: '#/components/schemas/OtpRole' });
    expect(schemas.OtpRole.enum).toEqual(['customer', 'driver', 'operator']);
  });
});
