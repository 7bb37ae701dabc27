/**
 * The compose stack and the image, checked by reading them (the container check,
 * scripts/containers/check.sh, runs them for real): every variable the compose file gives a service
 * is one that service's config module really reads, every variable the config requires is given,
 * ports and healthchecks match, the start order is guarded by conditions, and the Dockerfile keeps
 * its dependency layer apart from the sources and ships no sources.
 */
import { generateKeyPairSync } from 'node:crypto';
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
  volumes?: string[];
}

const REPLICAS = ['realtime-1', 'realtime-2'] as const;

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

/** An environment as compose fills it in with nothing set: `${X:-default}` -> default, `${X}` and `${X:?...}` -> unset. */
function withDefaults(environment: Record<string, string>): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(environment).map(([key, value]) => {
      if (!value.includes('${')) return [key, value];
      const filled = value.replace(/\$\{[A-Z0-9_]+(?::-([^}]*))?[^}]*\}/g, (_whole, fallback: string | undefined) => fallback ?? '\u0000');
      return [key, filled.includes('\u0000') ? undefined : filled];
    }),
  );
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
    ['auth', loadAuthConfig, 'server-auth/dist/main.js', 'AUTH_PORT', '${AUTH_HOST_PORT:-3000}:3000', 3000],
    // the replicas are published on this machine only; apps reach them through the proxy
    ['realtime-1', loadRealtimeConfig, 'server-realtime/dist/main.js', 'REALTIME_PORT', '127.0.0.1:${REALTIME_1_HOST_PORT:-8082}:8081', 8081],
    ['realtime-2', loadRealtimeConfig, 'server-realtime/dist/main.js', 'REALTIME_PORT', '127.0.0.1:${REALTIME_2_HOST_PORT:-8083}:8081', 8081],
  ] as const)('gives %s only variables its config reads, all it requires, and the documented port', async (name, load, main, portVar, published, port) => {
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
    expect(service.ports).toEqual([published]);
    expect(service.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${port}/api/health`);
    expect(service.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } });
    expect(service.environment!.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\/drivrr$/);
  });

  it('never hands the private signing key to the realtime service', async () => {
    const { services } = await compose();
    for (const replica of REPLICAS) expect(Object.keys(services[replica]!.environment ?? {})).not.toContain('JWT_PRIVATE_KEY');
  });

  it('runs the realtime replicas as one cluster on the redis service, each advertising its own address', async () => {
    const { services } = await compose();
    // what a replica's config makes of its environment with the file's defaults and a real key
    const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const config = REPLICAS.map((replica) => loadRealtimeConfig({ ...withDefaults(services[replica]!.environment ?? {}), JWT_PUBLIC_KEY: publicKey }));
    for (const [index, replica] of REPLICAS.entries()) {
      const service = services[replica]!;
      expect(service.environment!.REDIS_URL).toBe('redis://redis:6379');
      expect(service.depends_on).toMatchObject({ redis: { condition: 'service_healthy' }, auth: { condition: 'service_healthy' } });
      expect(service.environment!.REALTIME_NODE_URL).toBe(`http://${replica}:8081`);
      expect(config[index]!.cluster).toMatchObject({ redisUrl: 'redis://redis:6379', prefix: 'drivrr:', nodeUrl: `http://${replica}:8081` });
    }
    // the same service twice: only the advertised address and the published port differ
    const { environment: first, ports: _firstPorts, ...firstRest } = services['realtime-1']!;
    const { environment: second, ports: _secondPorts, ...secondRest } = services['realtime-2']!;
    expect(secondRest).toEqual(firstRest);
    expect({ ...second, REALTIME_NODE_URL: '' }).toEqual({ ...first, REALTIME_NODE_URL: '' });

    const redis = services.redis!;
    expect(redis.image).toMatch(/^redis:/);
    expect(redis.healthcheck?.test.join(' ')).toMatch(/redis-cli .*ping/);
    // it holds only what describes live processes: nothing to persist, no volume
    expect(redis.command).toEqual(expect.arrayContaining(['--appendonly', 'no']));
    expect(redis.volumes).toBeUndefined();
  });

  it('puts HAProxy on the realtime port in front of every replica: WebSockets, no stickiness, /api/live checks, no query strings in its log', async () => {
    const { services } = await compose();
    const proxy = services.proxy!;
    expect(proxy.image).toMatch(/^haproxy:/);
    expect(proxy.ports).toEqual(['${REALTIME_HOST_PORT:-8081}:8081']);
    expect(proxy.volumes).toEqual(['./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro']);
    expect(Object.keys(proxy.depends_on ?? {}).sort()).toEqual([...REPLICAS]);
    expect(proxy.healthcheck?.test.join(' ')).toContain('/api/live');

    const cfg = (await readFile(`${root}compose/haproxy.cfg`, 'utf8')).split('\n').filter((line) => !line.trim().startsWith('#')).join('\n');
    const servers = [...cfg.matchAll(/^\s*server (\S+) (\S+)/gm)].map((m) => [m[1], m[2]]);
    expect(servers).toEqual(REPLICAS.map((replica) => [replica, `${replica}:8081`]));
    expect(cfg).toMatch(/^\s*bind :8081$/m);
    expect(cfg).toMatch(/^\s*mode http$/m);
    // an upgraded WebSocket lives under the tunnel timeout: long, or idle apps are cut
    expect(cfg).toMatch(/^\s*timeout tunnel \d+h$/m);
    expect(cfg).toMatch(/^\s*http-check send meth GET uri \/api\/live$/m);
    expect(cfg).toMatch(/^\s*default-server check /m);
    expect(cfg).not.toMatch(/^\s*(cookie|stick|stick-table|hash-type)\b|balance (source|uri|url_param|hdr)/m);
    // the log line names the path alone: %HP, never the request line (%r), the URI (%HU) or the query (%HQ)
    const logFormat = /^\s*log-format (.*)$/m.exec(cfg)?.[1] ?? '';
    expect(logFormat).toMatch(/%(\{[^}]*\})?HP\b/);
    expect(logFormat).not.toMatch(/%(\{[^}]*\})?(r|HU|HQ)\b/);
    expect(cfg).not.toMatch(/option (httplog|httpslog)|capture request/);
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
    for (const name of ['postgres', 'auth', ...REPLICAS, 'redis', 'proxy']) {
      const test = services[name]!.healthcheck!.test;
      expect(test[0]).toBe('CMD-SHELL');
      expect(test).toHaveLength(2);
    }
  });

  it('builds one image from the root Dockerfile for auth, the realtime replicas and the migrate step', async () => {
    const { services } = await compose();
    const images = ['migrate', 'auth', ...REPLICAS].map((name) => ({ image: services[name]!.image, build: services[name]!.build }));
    expect(images[0]).toEqual({ image: 'drivrr:local', build: { context: '..', dockerfile: 'Dockerfile' } });
    expect(images.slice(1)).toEqual([images[0], images[0], images[0]]);
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
