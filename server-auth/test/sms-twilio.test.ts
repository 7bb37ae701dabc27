import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, uniquePhone, type TestStack } from '../../test-support/stack.js';
import { api } from './accounts-helpers.js';

/** A local stand-in for Twilio's Messages API: records requests, answers what the test asks. */
interface Recorded { method: string; url: string; authorization: string | undefined; form: URLSearchParams }
const recorded: Recorded[] = [];
let answerStatus = 201;
let fake: http.Server;
let stack: TestStack;

beforeAll(async () => {
  fake = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      recorded.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, form: new URLSearchParams(body) });
      res.writeHead(answerStatus, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answerStatus < 300 ? { sid: 'SM123', status: 'queued' } : { code: 20500, message: 'internal error' }));
    });
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  stack = await startTestStack({
    realtime: false,
    authEnv: {
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: 'AC0123456789',
      TWILIO_AUTH_TOKEN: 'test-auth-token',
      TWILIO_FROM: '+15005550006',
      TWILIO_BASE_URL: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`,
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => fake?.close(resolve));
});

describe('Twilio SMS adapter', () => {
  it('posts the code to the Messages API with basic auth and a form body, and the code verifies', async () => {
    answerStatus = 201;
    const phone = uniquePhone();

    const sent = await api(stack).post('/api/auth/otp/send', { phone, role: 'driver' });

    expect(sent.status).toBe(202);
    const request = recorded.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/2010-04-01/Accounts/AC0123456789/Messages.json');
    expect(request.authorization).toBe(`Basic ${Buffer.from('AC0123456789:test-auth-token').toString('base64')}`);
    expect(request.form.get('To')).toBe(phone);
    expect(request.form.get('From')).toBe('+15005550006');
    const code = /(\d{6})/.exec(request.form.get('Body') ?? '')?.[1];
    expect(code).toBeDefined();
    const { rows } = await stack.query(`SELECT 1 FROM dev_sms_outbox WHERE phone = $1`, [phone]);
    expect(rows).toHaveLength(0);
    expect((await api(stack).post('/api/auth/otp/verify', { phone, role: 'driver', code })).status).toBe(200);
  });

  it('answers 503 service_unavailable when the provider fails, without using up the resend allowance', async () => {
    const phone = uniquePhone();
    answerStatus = 500;

    const failed = await api(stack).post('/api/auth/otp/send', { phone, role: 'customer' });

    expect(failed.status).toBe(503);
    expect(failed.body.error.code).toBe('service_unavailable');
    expect(failed.headers.get('retry-after')).toBe('5');
    answerStatus = 201;
    const retried = await api(stack).post('/api/auth/otp/send', { phone, role: 'customer' });
    expect(retried.status).toBe(202);
  });
});
