/**
 * There is no Docker engine here, so the compose stack is checked by reading it: every variable it
 * gives a service is one that service's config module really reads, every variable the config
 * requires is given, ports and healthchecks match, and the start order is guarded by conditions.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError } from '@drivrr/shared';
import { loadAuthConfig } from '@drivrr/server-auth';
import { loadRealtimeConfig } from '@drivrr/server-realtime';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

/**
 * The env names a config loader reads (it reads each of its schema's keys once) and the ones it
 * requires (those its ConfigError names as unset when given nothing).
 */
function envOf(load: (env: Record<string, string | undefined>) => unknown): { reads: Set<string>; required: Set<string> } {
  const reads = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_target, key) {
      if (typeof key === 'string') reads.add(key);
      return undefined;
    },
  });
  const required = new Set<string>();
  try {
    load(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) if (problem.endsWith('(unset)')) required.add(problem.split(':')[0]!);
  }
  return { reads, required };
}

async function compose(): Promise<{ services: Record<string, ComposeService> }> {
  return parse(await readFile(`${root}compose/docker-compose.yml`, 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
}

describe('compose/docker-compose.yml', () => {
  it.each([
    ['auth', loadAuthConfig, 'server-auth/dist/main.js', 'AUTH_PORT', 3000],
    ['realtime', loadRealtimeConfig, 'server-realtime/dist/main.js', 'REALTIME_PORT', 8081],
  ] as const)('gives %s only variables its config reads, all it requires, and the documented port', async (name, load, main, portVar, port) => {
    const { services } = await compose();
    const service = services[name]!;
    const { reads, required } = envOf(load);
    expect(reads.size).toBeGreaterThan(3);
    const given = Object.keys(service.environment ?? {});
    expect(given.filter((key) => !reads.has(key))).toEqual([]);
    expect([...required].filter((key) => !given.includes(key))).toEqual([]);
    expect(service.command).toEqual(['node', main]);
    expect(service.environment![portVar]).toBe(String(port));
    expect(service.ports).toEqual([`${port}:${port}`]);
    expect(service.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${port}/api/health`);
    expect(service.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } });
    expect(service.environment!.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\/drivrr$/);
  });

  it('never hands the private signing key to the realtime service', async () => {
    const { services } = await compose();
    expect(Object.keys(services.realtime!.environment ?? {})).not.toContain('JWT_PRIVATE_KEY');
  });

  it('has a PostgreSQL with a healthcheck and a one-shot migrate step that runs the real CLI', async () => {
    const { services } = await compose();
    expect(services.postgres!.healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(services.migrate!.command).toEqual(['node', 'cli/dist/bin.js', 'migrate', 'up']);
    expect(services.migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(services.migrate!.build).toEqual({ context: '..', dockerfile: 'Dockerfile' });
    // every command the compose file runs exists in the built tree
    const dockerfile = await readFile(`${root}Dockerfile`, 'utf8');
    expect(dockerfile).toMatch(/npm ci/);
    expect(dockerfile).toMatch(/npm run build/);
    const rootPackage = JSON.parse(await readFile(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> };
    expect(rootPackage.scripts.build).toContain('tsc -b');
  });
});
