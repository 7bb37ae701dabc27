/**
 * Helpers for the services' typed config modules. A config module is the only reader of
 * `process.env`: it passes the environment here once, at start-up, and gets a typed object back
 * or a ConfigError naming every bad variable.
 */
import { z } from 'zod';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type Env = Record<string, string | undefined>;

/**
 * Parses `env` with a schema whose keys are the variable names. Empty strings count as unset.
 * On failure throws one ConfigError listing each variable with what was wrong and what was given.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Env): z.infer<S> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(env)');
    const given = input[name];
    const shown = given === undefined ? 'unset' : `got "${looksSecret(name) ? '***' : given}"`;
    return `${name}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(problems);
}

function looksSecret(name: string): boolean {
  return /KEY|SECRET|TOKEN|PASSWORD/.test(name);
}

/** Reusable env field schemas. */
export const envField = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  host: (fallback = '0.0.0.0') => z.string().min(1).default(fallback),
  databaseUrl: () =>
    z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection URL'),
  nodeEnv: () => z.enum(['development', 'test', 'production']).default('development'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(fallback),
  number: (fallback: number, min = 0, max = Number.MAX_VALUE) => z.coerce.number().min(min).max(max).default(fallback),
  bool: (fallback: boolean) =>
    z.enum(['true', 'false', '1', '0', 'yes', 'no']).default(fallback ? 'true' : 'false').transform((v) => v === 'true' || v === '1' || v === 'yes'),
  /** A PEM key given inline, or with literal `\n` escapes as env files often hold them. */
  pem: () => z.string().transform((v) => v.replace(/\\n/g, '\n')).refine((v) => v.includes('-----BEGIN'), 'must be a PEM key'),
};
