/** The auth service's configuration: read from the environment once, validated, typed. */
import { z } from 'zod';
import { envField, parseEnv, type Env } from '@drivrr/shared';

const schema = z.object({
  NODE_ENV: envField.nodeEnv(),
  LOG_LEVEL: envField.logLevel(),
  AUTH_HOST: envField.host(),
  AUTH_PORT: envField.port(3000),
  DATABASE_URL: envField.databaseUrl(),
  /** PEM (PKCS#8) EC P-256 private key that signs access tokens. */
  JWT_PRIVATE_KEY: envField.pem(),
  /** PEM (SPKI) public key matching JWT_PRIVATE_KEY. */
  JWT_PUBLIC_KEY: envField.pem(),
  CURRENCY: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO 4217 code').default('PKR'),
});

export type AuthConfig = {
  nodeEnv: 'development' | 'test' | 'production';
  logLevel: string;
  host: string;
  port: number;
  databaseUrl: string;
  jwt: { privateKeyPem: string; publicKeyPem: string };
  currency: string;
};

export function loadAuthConfig(env: Env = process.env): AuthConfig {
  const e = parseEnv(schema, env);
  return {
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    host: e.AUTH_HOST,
    port: e.AUTH_PORT,
    databaseUrl: e.DATABASE_URL,
    jwt: { privateKeyPem: e.JWT_PRIVATE_KEY, publicKeyPem: e.JWT_PUBLIC_KEY },
    currency: e.CURRENCY,
  };
}
