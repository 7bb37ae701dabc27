/** The realtime service's configuration: read from the environment once, validated, typed. */
import { z } from 'zod';
import { envField, parseEnv, type Env } from '@drivrr/shared';
import { ridesConfigFrom, ridesEnvShape, type RidesConfig } from './rides/config.js';

const schema = z.object({
  NODE_ENV: envField.nodeEnv(),
  LOG_LEVEL: envField.logLevel(),
  REALTIME_HOST: envField.host(),
  REALTIME_PORT: envField.port(8081),
  DATABASE_URL: envField.databaseUrl(),
  /** PEM (SPKI) public key of the auth service; the realtime service never holds the private key. */
  JWT_PUBLIC_KEY: envField.pem(),
  ...ridesEnvShape,
});

export type RealtimeConfig = {
  nodeEnv: 'development' | 'test' | 'production';
  logLevel: string;
  host: string;
  port: number;
  databaseUrl: string;
  jwtPublicKeyPem: string;
  /** Pricing, matching, timers and payments of rides (src/rides/config.ts). */
  rides: RidesConfig;
};

export function loadRealtimeConfig(env: Env = process.env): RealtimeConfig {
  const e = parseEnv(schema, env);
  return {
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    host: e.REALTIME_HOST,
    port: e.REALTIME_PORT,
    databaseUrl: e.DATABASE_URL,
    jwtPublicKeyPem: e.JWT_PUBLIC_KEY,
    rides: ridesConfigFrom(e),
  };
}
