/**
 * The compose stack and the image, checked by reading them (the container check,
 * scripts/containers/check.sh, runs them for real): every variable the compose file gives a service
 * is one that service's config module really reads, every variable the config requires is given,
 * ports and healthchecks match, the start order is guarded by conditions, and the Dockerfile keeps
 * its dependency layer apart from the sources and ships no sources.
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

interface Stage {
  name: string | undefined;
  /** the stage or image it starts from */
  base: string;
  /** its instructions, continuation lines joined */
  lines: string[];
}

/** The Dockerfile's stages in order. */
async function dockerfileStages(): Promise<Stage[]> {
  const text = (await readFile(`${root}Dockerfile`, 'utf8')).replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    const from = /^FROM (\S+)(?: AS (\S+))?$/.exec(line);
    if (from) stages.push({ base: from[1]!, name: from[2], lines: [] });
    else if (line && !line.startsWith('#')) stages.at(-1)?.lines.push(line);
  }
  return stages;
}

/** Whether a stage, or one it starts from, copies in the whole source tree. */
function hasSources(stages: Stage[], stage: Stage): boolean {
  const parent = stages.find((s) => s.name === stage.base);
  return stage.lines.some((line) => /^COPY \. /.test(line)) || (parent !== undefined && hasSources(stages, parent));
}

describe('compose/docker-compose.yml', () => {
  it.each([
    ['auth', loadAuthConfig, 'server-auth/dist/main.js', 'AUTH_PORT', 'AUTH_HOST_PORT', 3000],
    ['realtime', loadRealtimeConfig, 'server-realtime/dist/main.js', 'REALTIME_PORT', 'REALTIME_HOST_PORT', 8081],
  ] as const)('gives %s only variables its config reads, all it requires, and the documented port', async (name, load, main, portVar, hostPortVar, port) => {
    const { services } = await compose();
    const service = services[name]!;
    const { reads, required } = envOf(load);
    expect(reads.size).toBeGreaterThan(3);
    const given = Object.keys(service.environment ?? {});
    expect(given.filter((key) => !reads.has(key))).toEqual([]);
    expect([...required].filter((key) => !given.includes(key))).toEqual([]);
    expect(service.command).toEqual(['node', main]);
    expect(service.environment![portVar]).toBe(String(port));
    // published on the documented port unless the host needs another (the container check does)
    expect(service.ports).toEqual([`\${${hostPortVar}:-${port}}:${port}`]);
    expect(service.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${port}/api/health`);
    expect(service.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } });
    expect(service.environment!.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\/drivrr$/);
  });

  it('never hands the private signing key to the realtime service', async () => {
    const { services } = await compose();
    expect(Object.keys(services.realtime!.environment ?? {})).not.toContain('JWT_PRIVATE_KEY');
  });

  it('has a PostgreSQL with a healthcheck and a one-shot migrate step that waits for it, then runs the real CLI', async () => {
    const { services } = await compose();
    expect(services.postgres!.healthcheck?.test.join(' ')).toContain('pg_isready');
    // compose engines differ in honouring service_healthy: the step waits, boundedly, by itself
    const script = services.migrate!.command!.join(' ');
    expect(services.migrate!.command!.slice(0, 2)).toEqual(['sh', '-c']);
    expect(script).toMatch(/until .*node cli\/dist\/bin\.js migrate status/);
    expect(script).toMatch(/-ge \d+.*exit 1/);
    expect(script.trim().endsWith('exec node cli/dist/bin.js migrate up')).toBe(true);
    expect(services.migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
  });

  it('runs every healthcheck as one shell string (CMD-SHELL), which every engine passes whole', async () => {
    // podman-compose 1.0.3 and podman's Docker API split the arguments of a CMD form at spaces
    const { services } = await compose();
    for (const name of ['postgres', 'auth', 'realtime']) {
      const test = services[name]!.healthcheck!.test;
      expect(test[0]).toBe('CMD-SHELL');
      expect(test).toHaveLength(2);
    }
  });

  it('builds one image from the root Dockerfile for auth, realtime and the migrate step', async () => {
    const { services } = await compose();
    const images = ['migrate', 'auth', 'realtime'].map((name) => ({ image: services[name]!.image, build: services[name]!.build }));
    expect(images[0]).toEqual({ image: 'drivrr:local', build: { context: '..', dockerfile: 'Dockerfile' } });
    expect(images.slice(1)).toEqual([images[0], images[0]]);
  });

  it('builds the image on an exact Node.js release, installs dependencies before copying the sources, and ships no sources', async () => {
    const dockerfile = await readFile(`${root}Dockerfile`, 'utf8');
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=\d+\.\d+\.\d+$/m);
    const stages = await dockerfileStages();
    for (const stage of stages) {
      if (!stages.some((s) => s.name === stage.base)) expect(stage.base).toMatch(/^node:\$\{NODE_VERSION\}-/);
    }
    // every dependency install sees only the manifests, so editing a source file reuses its layer
    const installs = stages.filter((stage) => stage.lines.some((line) => /npm ci/.test(line)));
    expect(installs.length).toBeGreaterThan(0);
    for (const stage of installs) expect(hasSources(stages, stage)).toBe(false);
    expect(stages.flatMap((s) => s.lines).some((line) => /npm run build/.test(line))).toBe(true);
    // the image that runs takes compiled output and SQL from the stages that saw the sources, nothing else
    const runtime = stages.at(-1)!;
    expect(hasSources(stages, runtime)).toBe(false);
    const copies = runtime.lines.filter((line) => line.startsWith('COPY'));
    expect(copies.length).toBeGreaterThan(1);
    for (const copy of copies) {
      const [, from, source] = /^COPY --from=(\S+) (\S+) \S+$/.exec(copy) ?? [];
      const stage = stages.find((s) => s.name === from);
      expect(stage, copy).toBeDefined();
      if (hasSources(stages, stage!)) expect(source, copy).toMatch(/\/(dist|sql)$/);
    }
  });

  it('takes every workspace package into the image: its manifest before the install, its compiled output after the build', async () => {
    const { workspaces } = JSON.parse(await readFile(`${root}package.json`, 'utf8')) as { workspaces: string[] };
    const dockerfile = await readFile(`${root}Dockerfile`, 'utf8');
    const missing = workspaces.filter((workspace) => !dockerfile.includes(`COPY ${workspace}/package.json ${workspace}/`));
    expect(missing, 'workspaces whose package.json the manifests stage does not copy').toEqual([]);
    const runtime = (await dockerfileStages()).at(-1)!;
    const shipped = workspaces.filter((workspace) => runtime.lines.some((line) => line.includes(`/app/${workspace}/dist ${workspace}/dist`)));
    expect(shipped).toEqual(workspaces);
  });

  it('documents every variable it reads in .env.example', async () => {
    const text = await readFile(`${root}compose/docker-compose.yml`, 'utf8');
    const read = new Set([...text.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!));
    const example = await readFile(`${root}.env.example`, 'utf8');
    const documented = new Set([...example.matchAll(/^#? ?([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    expect([...read].filter((name) => !documented.has(name))).toEqual([]);
    expect(read.size).toBeGreaterThan(5);
  });
});
