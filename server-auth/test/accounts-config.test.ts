import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, generateSigningKeys } from '@drivrr/shared';
import { loadAuthConfig } from '@drivrr/server-auth';

const keys = generateSigningKeys();
const base = {
  DATABASE_URL: 'postgres://127.0.0.1/none',
  JWT_PRIVATE_KEY: keys.privateKeyPem,
  JWT_PUBLIC_KEY: keys.publicKeyPem,
};
const production = {
  ...base,
  NODE_ENV: 'production',
  OTP_PEPPER: 'a-long-random-production-pepper',
  SMS_PROVIDER: 'twilio',
  TWILIO_ACCOUNT_SID: 'AC123',
  TWILIO_AUTH_TOKEN: 'secret',
  TWILIO_FROM: '+15005550006',
  REALTIME_PUBLIC_URL: 'https://rt.drivrr.example',
};

function problemsOf(env: Record<string, string>): string {
  try {
    loadAuthConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  return '';
}

describe('accounts configuration', () => {
  it('refuses test phones in production, naming OTP_TEST_PHONES and the override', () => {
    const message = problemsOf({ ...production, OTP_TEST_PHONES: '+92399*=000000' });
    expect(message).toContain('OTP_TEST_PHONES');
    expect(message).toContain('OTP_TEST_PHONES_IN_PRODUCTION=true');
  });

  it('allows test phones in production only with OTP_TEST_PHONES_IN_PRODUCTION=true', () => {
    const config = loadAuthConfig({ ...production, OTP_TEST_PHONES: '+92399*=000000', OTP_TEST_PHONES_IN_PRODUCTION: 'true' });
    expect(config.otp.testPhones).toEqual([{ phone: '+92399', prefix: true, code: '000000' }]);
  });

  it('requires OTP_PEPPER and a real SMS provider in production', () => {
    const { OTP_PEPPER: _pepper, ...noPepper } = production;
    expect(problemsOf(noPepper)).toContain('OTP_PEPPER');
    expect(problemsOf({ ...production, SMS_PROVIDER: 'dev' })).toContain('SMS_PROVIDER');
    const { TWILIO_FROM: _from, ...noFrom } = production;
    expect(problemsOf(noFrom)).toContain('TWILIO_FROM');
  });

  it('requires REALTIME_PUBLIC_URL (share links) in production, and trims a trailing slash', () => {
    const { REALTIME_PUBLIC_URL: _url, ...noUrl } = production;
    expect(problemsOf(noUrl)).toContain('REALTIME_PUBLIC_URL');
    expect(problemsOf({ ...production, REALTIME_PUBLIC_URL: 'ftp://rt.example' })).toContain('REALTIME_PUBLIC_URL');
    expect(loadAuthConfig({ ...production, REALTIME_PUBLIC_URL: 'https://rt.drivrr.example/' }).realtimePublicUrl).toBe('https://rt.drivrr.example');
    expect(loadAuthConfig(base).realtimePublicUrl).toBe('http://localhost:8081');
  });

  it('derives a pepper from the signing key outside production and defaults to the dev outbox', () => {
    const a = loadAuthConfig(base);
    const b = loadAuthConfig(base);
    expect(a.otp.pepper).toBe(b.otp.pepper);
    expect(a.otp.pepper.length).toBeGreaterThanOrEqual(32);
    expect(a.otp.pepper).not.toContain(keys.privateKeyPem.slice(30, 60));
    expect(a.sms).toEqual({ provider: 'dev' });
  });

  it('names malformed OTP_TEST_PHONES and OPERATOR_PHONES entries', () => {
    expect(problemsOf({ ...base, OTP_TEST_PHONES: '+92399*=12' })).toContain('OTP_TEST_PHONES');
    expect(problemsOf({ ...base, OPERATOR_PHONES: '0300123' })).toContain('OPERATOR_PHONES');
  });
});

describe('the built service (node server-auth/dist/main.js)', () => {
  const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

  it('exits 1 at start-up with one message naming OTP_TEST_PHONES in production', async () => {
    if (!existsSync(main)) throw new Error(`${main} is missing: run "npx tsc -b" first`);
    const env = { PATH: process.env.PATH ?? '', ...production, OTP_TEST_PHONES: '+92399*=000000', AUTH_PORT: '0' };
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [main], { env, timeout: 20_000 }, (error, _stdout, stderr) => {
        resolve({ code: error && typeof error.code === 'number' ? error.code : error ? 1 : 0, stderr });
      });
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('OTP_TEST_PHONES');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
