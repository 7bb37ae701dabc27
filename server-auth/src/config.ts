/** The auth service's configuration: read from the environment once, validated, typed. */
import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError, envField, MIN_ACCESS_TOKEN_TTL_S, parseEnv, type Env } from '@drivrr/shared';
import { databaseEnvShape, poolTimeoutsFrom } from '@drivrr/shared/db';
import { parseOperatorPhones, parseTestPhones, type TestPhoneRule } from './domain/phones.js';

const schema = z.object({
  NODE_ENV: envField.nodeEnv(),
  LOG_LEVEL: envField.logLevel(),
  AUTH_HOST: envField.host(),
  AUTH_PORT: envField.port(3000),
  DATABASE_URL: envField.databaseUrl(),
  ...databaseEnvShape,
  /** PEM (PKCS#8) EC P-256 private key that signs access tokens. */
  JWT_PRIVATE_KEY: envField.pem(),
  /** PEM (SPKI) public key matching JWT_PRIVATE_KEY. */
  JWT_PUBLIC_KEY: envField.pem(),
  /** Lifetime of access tokens; sockets are warned min(60 s, half of it) before it ends. */
  ACCESS_TOKEN_TTL_S: envField.int(900, MIN_ACCESS_TOKEN_TTL_S, 24 * 3600),
  CURRENCY: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO 4217 code').default('PKR'),
  /** Which proxies may set X-Forwarded-For: Express "trust proxy" (loopback, a CIDR list, or false). */
  TRUST_PROXY: z.string().min(1).default('loopback'),
  /**
   * Where apps (and the people a trip is shared with) reach the realtime service, e.g.
   * http://192.168.1.20:8081: share links are built on it. Required in production.
   */
  REALTIME_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),

  // --- accounts: OTP login ---
  /** Secret key of the HMAC that codes are stored under. Required in production. */
  OTP_PEPPER: z.string().min(16, 'must be at least 16 characters').optional(),
  /** ISO 3166 country of phone numbers written without +country code. */
  DEFAULT_COUNTRY: z.string().regex(/^[A-Z]{2}$/, 'must be a 2-letter ISO 3166 country code').default('PK'),
  /** Comma list of ISO 3166 countries whose phones may get codes (SMS-pumping fraud); default DEFAULT_COUNTRY. */
  OTP_ALLOWED_COUNTRIES: z
    .string()
    .regex(/^\s*[A-Z]{2}\s*(,\s*[A-Z]{2}\s*)*$/, 'must be a comma list of 2-letter ISO 3166 country codes, e.g. PK,AE')
    .optional(),
  /** Comma list of PHONE=CODE (PHONE may end in * for a prefix): fixed codes for QA, CI, demos. */
  OTP_TEST_PHONES: z.string().optional(),
  OTP_TEST_PHONES_IN_PRODUCTION: envField.bool(false),
  /** Comma list of E.164 phones allowed to log in with role "operator". */
  OPERATOR_PHONES: z.string().optional(),
  OTP_TTL_S: envField.int(300, 30, 3600),
  OTP_MAX_ATTEMPTS: envField.int(5, 1, 100),
  OTP_RESEND_INTERVAL_S: envField.int(30, 0, 3600),
  OTP_SENDS_PER_HOUR: envField.int(5, 1, 1000),
  /** Codes per phone per 24 hours (with OTP_MAX_ATTEMPTS, the most guesses a day against one phone). */
  OTP_SENDS_PER_DAY: envField.int(10, 1, 10_000),
  /** Wrong codes per phone (over 24 hours) tried without delay; each one after doubles the wait, from 2 s up to an hour. */
  OTP_FREE_FAILURES: envField.int(3, 0, 1000),
  /** Sends per client IP per hour (test phones do not count). */
  OTP_IP_SENDS_PER_HOUR: envField.int(20, 1, 1_000_000),
  /** Failed verifies per client IP per OTP_IP_VERIFY_WINDOW_S. */
  OTP_IP_VERIFY_FAILURES: envField.int(60, 1, 1_000_000),
  OTP_IP_VERIFY_WINDOW_S: envField.int(300, 1, 86_400),
  /** dev = write codes to the dev_sms_outbox table; twilio = Twilio's Messages REST API. */
  SMS_PROVIDER: z.enum(['dev', 'twilio']).optional(),
  TWILIO_ACCOUNT_SID: z.string().min(1).optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_FROM: z.string().min(1).optional(),
  TWILIO_BASE_URL: z.url().default('https://api.twilio.com'),
  SMS_TIMEOUT_MS: envField.int(10_000, 100, 120_000),

  // --- accounts: refresh tokens ---
  REFRESH_TOKEN_TTL_S: envField.int(30 * 24 * 3600, 60, 365 * 24 * 3600),
  /** Seconds after a rotation in which the same (superseded) token is refused without revoking the family. */
  REFRESH_REUSE_GRACE_S: envField.int(5, 0, 60),

  // --- the authenticated REST API: general rate limits (counted in PostgreSQL) ---
  /** Requests per user per minute. */
  API_USER_REQUESTS_PER_MIN: envField.int(600, 1, 1_000_000),
  /** Requests per client IP per minute (addresses in API_TRUSTED_IPS are not limited per IP). */
  API_IP_REQUESTS_PER_MIN: envField.int(3000, 1, 10_000_000),
  /**
   * Comma list of client IPs or CIDRs exempt from the per-IP limits (our own tools: simulators run
   * thousands of users from one address). Default: loopback outside production, none in production.
   */
  API_TRUSTED_IPS: z.string().optional(),
});

export interface OtpConfig {
  pepper: string;
  defaultCountry: string;
  /** ISO 3166 countries whose phones may get codes. */
  allowedCountries: ReadonlySet<string>;
  testPhones: TestPhoneRule[];
  operatorPhones: ReadonlySet<string>;
  ttlS: number;
  maxAttempts: number;
  resendIntervalS: number;
  sendsPerHour: number;
  sendsPerDay: number;
  freeFailures: number;
  ipSendsPerHour: number;
  ipVerifyFailures: number;
  ipVerifyWindowS: number;
}

export type SmsConfig =
  | { provider: 'dev' }
  | { provider: 'twilio'; accountSid: string; authToken: string; from: string; baseUrl: string; timeoutMs: number };

export type AuthConfig = {
  nodeEnv: 'development' | 'test' | 'production';
  logLevel: string;
  host: string;
  port: number;
  databaseUrl: string;
  jwt: { privateKeyPem: string; publicKeyPem: string; accessTtlS: number };
  /** Pool timeouts (DB_CONNECT_TIMEOUT_MS, DB_QUERY_TIMEOUT_MS). */
  db: { connectionTimeoutMs: number; queryTimeoutMs: number };
  currency: string;
  /** REALTIME_PUBLIC_URL without a trailing slash (default http://localhost:8081 outside production). */
  realtimePublicUrl: string;
  /** Express "trust proxy" value. */
  trustProxy: boolean | string;
  otp: OtpConfig;
  sms: SmsConfig;
  refresh: { ttlS: number; reuseGraceS: number };
  api: ApiLimitsConfig;
};

export interface ApiLimitsConfig {
  userRequestsPerMin: number;
  ipRequestsPerMin: number;
  /** Client IPs / CIDRs not limited per IP. */
  trustedIps: string[];
}

export function loadAuthConfig(env: Env = process.env): AuthConfig {
  const e = parseEnv(schema, env);
  return {
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    host: e.AUTH_HOST,
    port: e.AUTH_PORT,
    databaseUrl: e.DATABASE_URL,
    jwt: { privateKeyPem: e.JWT_PRIVATE_KEY, publicKeyPem: e.JWT_PUBLIC_KEY, accessTtlS: e.ACCESS_TOKEN_TTL_S },
    db: poolTimeoutsFrom(e),
    currency: e.CURRENCY,
    realtimePublicUrl: realtimePublicUrl(e),
    trustProxy: e.TRUST_PROXY === 'false' ? false : e.TRUST_PROXY === 'true' ? true : e.TRUST_PROXY,
    otp: otpConfig(e),
    sms: smsConfig(e),
    refresh: { ttlS: e.REFRESH_TOKEN_TTL_S, reuseGraceS: e.REFRESH_REUSE_GRACE_S },
    api: apiLimitsConfig(e),
  };
}

const LOOPBACK_IPS = ['127.0.0.1/8', '::1/128'];

function apiLimitsConfig(e: ParsedEnv): ApiLimitsConfig {
  const trustedIps = e.API_TRUSTED_IPS === undefined
    ? (e.NODE_ENV === 'production' ? [] : LOOPBACK_IPS)
    : e.API_TRUSTED_IPS.split(',').map((item) => item.trim()).filter(Boolean);
  const bad = trustedIps.filter((item) => !isIpOrCidr(item));
  if (bad.length > 0) throw new ConfigError([`API_TRUSTED_IPS: ${bad.map((b) => `"${b}"`).join(', ')} is not an IP address or CIDR`]);
  return { userRequestsPerMin: e.API_USER_REQUESTS_PER_MIN, ipRequestsPerMin: e.API_IP_REQUESTS_PER_MIN, trustedIps };
}

function isIpOrCidr(item: string): boolean {
  const [address, bits, ...rest] = item.split('/');
  if (rest.length > 0 || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n <= (family === 4 ? 32 : 128);
}

type ParsedEnv = z.infer<typeof schema>;

function realtimePublicUrl(e: ParsedEnv): string {
  if (e.REALTIME_PUBLIC_URL === undefined && e.NODE_ENV === 'production') {
    throw new ConfigError(['REALTIME_PUBLIC_URL: required when NODE_ENV=production (share links are built on it) (unset)']);
  }
  return (e.REALTIME_PUBLIC_URL ?? 'http://localhost:8081').replace(/\/+$/, '');
}

function otpConfig(e: ParsedEnv): OtpConfig {
  const production = e.NODE_ENV === 'production';
  const problems: string[] = [];
  if (production && e.OTP_PEPPER === undefined) problems.push('OTP_PEPPER: required when NODE_ENV=production (unset)');
  if (production && e.OTP_TEST_PHONES !== undefined && !e.OTP_TEST_PHONES_IN_PRODUCTION) {
    problems.push(
      'OTP_TEST_PHONES: test phones with fixed codes are refused when NODE_ENV=production; unset it, or set OTP_TEST_PHONES_IN_PRODUCTION=true if you really mean it',
    );
  }
  let testPhones: TestPhoneRule[] = [];
  let operatorPhones = new Set<string>();
  try {
    testPhones = parseTestPhones(e.OTP_TEST_PHONES ?? '');
  } catch (error) {
    problems.push(`OTP_TEST_PHONES: ${(error as Error).message}`);
  }
  try {
    operatorPhones = parseOperatorPhones(e.OPERATOR_PHONES ?? '');
  } catch (error) {
    problems.push(`OPERATOR_PHONES: ${(error as Error).message}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    // outside production a pepper derived from the signing key means no extra setup
    pepper: e.OTP_PEPPER ?? createHmac('sha256', e.JWT_PRIVATE_KEY).update('drivrr otp pepper v1').digest('base64url'),
    defaultCountry: e.DEFAULT_COUNTRY,
    allowedCountries: new Set((e.OTP_ALLOWED_COUNTRIES ?? e.DEFAULT_COUNTRY).split(',').map((c) => c.trim())),
    testPhones,
    operatorPhones,
    ttlS: e.OTP_TTL_S,
    maxAttempts: e.OTP_MAX_ATTEMPTS,
    resendIntervalS: e.OTP_RESEND_INTERVAL_S,
    sendsPerHour: e.OTP_SENDS_PER_HOUR,
    sendsPerDay: e.OTP_SENDS_PER_DAY,
    freeFailures: e.OTP_FREE_FAILURES,
    ipSendsPerHour: e.OTP_IP_SENDS_PER_HOUR,
    ipVerifyFailures: e.OTP_IP_VERIFY_FAILURES,
    ipVerifyWindowS: e.OTP_IP_VERIFY_WINDOW_S,
  };
}

function smsConfig(e: ParsedEnv): SmsConfig {
  const provider = e.SMS_PROVIDER ?? (e.NODE_ENV === 'production' ? undefined : 'dev');
  if (provider === undefined) throw new ConfigError(['SMS_PROVIDER: required when NODE_ENV=production (twilio), the dev outbox is for development (unset)']);
  if (provider === 'dev') {
    if (e.NODE_ENV === 'production') throw new ConfigError(['SMS_PROVIDER: "dev" (the dev outbox) is refused when NODE_ENV=production; use twilio']);
    return { provider };
  }
  const missing = (['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const).filter((name) => e[name] === undefined);
  if (missing.length > 0) throw new ConfigError(missing.map((name) => `${name}: required when SMS_PROVIDER=twilio (unset)`));
  return {
    provider,
    accountSid: e.TWILIO_ACCOUNT_SID!,
    authToken: e.TWILIO_AUTH_TOKEN!,
    from: e.TWILIO_FROM!,
    baseUrl: e.TWILIO_BASE_URL.replace(/\/+$/, ''),
    timeoutMs: e.SMS_TIMEOUT_MS,
  };
}
