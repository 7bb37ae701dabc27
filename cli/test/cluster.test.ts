/**
 * `drivrr up --realtime-workers 2` as subprocesses, on the test PostgreSQL and the local Redis
 * (127.0.0.1:6379) under a key prefix of this test's own: two realtime nodes share the realtime
 * port through node:cluster, health and status list both, a scenario runs through them, a worker
 * killed hard is replaced, and down stops every process. Without Redis, up says where it looked.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test-support/db.js';
import { LOCAL_REDIS_URL, resolveStackRedis, stackRedisPrefix } from '../src/platform/redis.js';
import { drivrr, freePort, isAlive, requireBuilt } from './helpers.js';

/** The pids of a process's children (Linux /proc). */
async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('drivrr up --realtime-workers 2 (a cluster on the local Redis)', () => {
  let home: string;
  let db: TestDatabase;
  let env: Record<string, string | undefined>;
  let authPort: number;
  let realtimePort: number;
  const prefix = `drivrr-test:cli-${process.pid}-${Date.now().toString(36)}:`;
  const redis = new Redis(LOCAL_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const seenPids: number[] = [];

  async function keysUnderPrefix(): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  }

  beforeAll(async () => {
    requireBuilt();
    await redis.connect();
    home = await mkdtemp(path.join(os.tmpdir(), 'drivrr-cluster-'));
    db = await createTestDatabase({ migrate: false });
    authPort = await freePort();
    do realtimePort = await freePort();
    while (realtimePort === authPort);
    // the local Redis is found by PING (no REDIS_URL); this test's keys live under its own prefix
    env = { DRIVRR_HOME: home, DATABASE_URL: db.url, REDIS_URL: undefined, REDIS_PREFIX: prefix, JWT_PRIVATE_KEY: undefined, JWT_PUBLIC_KEY: undefined, DRIVRR_AUTH_URL: undefined, DRIVRR_REALTIME_URL: undefined };
  }, 60_000);

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await drivrr(['down'], env);
  });

  afterAll(async () => {
    await drivrr(['down'], env);
    for (const pid of seenPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    const left = await keysUnderPrefix();
    if (left.length) await redis.unlink(...left);
    redis.disconnect();
    await db?.drop();
    await rm(home, { recursive: true, force: true });
  }, 60_000);

  let state: { pids: { supervisor: number; auth: number; realtime: number } };
  let workers: number[] = [];

  it('starts two realtime nodes on the one realtime port, and health and status list both', async () => {
    const up = await drivrr(['up', '--detach', '--json', '--realtime-workers', '2', '--auth-port', String(authPort), '--realtime-port', String(realtimePort)], env);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const summary = JSON.parse(up.stdout);
    expect(summary).toMatchObject({ realtimeWorkers: 2, redis: { url: LOCAL_REDIS_URL, prefix }, realtimeUrl: `http://127.0.0.1:${realtimePort}` });

    state = JSON.parse(await readFile(path.join(home, 'state.json'), 'utf8'));
    workers = await childrenOf(state.pids.realtime);
    seenPids.push(state.pids.supervisor, state.pids.auth, state.pids.realtime, ...workers);
    expect(workers).toHaveLength(2);

    const health = await drivrr(['health', '--json'], env);
    expect(health.code).toBe(0);
    const realtime = JSON.parse(health.stdout).services.find((s: { service: string }) => s.service === 'realtime');
    expect(realtime.node).toMatchObject({ mode: 'cluster', redis: { ok: true } });
    expect(realtime.nodes).toHaveLength(2);
    const ids = realtime.nodes.map((n: { id: string }) => n.id);
    expect(new Set(ids).size).toBe(2);
    expect(ids).toContain(realtime.node.id);
    for (const node of realtime.nodes) expect(node).toMatchObject({ url: `http://127.0.0.1:${realtimePort}`, connections: { drivers: 0, customers: 0, operators: 0 } });
    // the registry lives under the stack's prefix, nowhere else
    expect((await keysUnderPrefix()).length).toBeGreaterThan(0);

    const table = await drivrr(['health'], env);
    for (const id of ids) expect(table.stdout).toContain(id);
    expect(table.stdout).toMatch(/Realtime: cluster of 2 node\(s\) on Redis \(ok/);

    const status = await drivrr(['status', '--json'], env);
    expect(status.code).toBe(0);
    const shown = JSON.parse(status.stdout);
    expect(shown).toMatchObject({ realtimeWorkers: 2, redis: { prefix } });
    expect(shown.nodes.map((n: { id: string }) => n.id).sort()).toEqual([...ids].sort());
  }, 180_000); // a stack start and four CLI runs, on a machine that may be busy

  it('runs a scenario through the two nodes', async () => {
    const run = await drivrr(['scenario', 'run', 'happy-path', '--json'], env, 110_000);
    expect(run.stderr).toContain('PASS happy-path');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ name: 'happy-path', ok: true, protocolIssues: [] });
  }, 120_000);

  it('replaces a worker killed hard with a new node', async () => {
    const [victim, survivor] = workers;
    process.kill(victim!, 'SIGKILL');
    // the primary forks a replacement: poll until it is there (the test's timeout bounds the wait)
    let now = await childrenOf(state.pids.realtime);
    while (!(now.length === 2 && !now.includes(victim!))) {
      await sleep(100);
      now = await childrenOf(state.pids.realtime);
    }
    expect(now).toContain(survivor);
    workers = now;
    seenPids.push(...now);
    expect((await drivrr(['health', '--wait', '30'], env)).code).toBe(0);
    const log = await readFile(path.join(home, 'logs', 'realtime.log'), 'utf8');
    expect(log).toContain(`"workerPid":${victim},"code":null,"signal":"SIGKILL"`);
    expect(log).toContain('a realtime worker died: starting a new one');
  }, 60_000);

  it('stops the primary, every worker and the auth service on down', async () => {
    const down = await drivrr(['down', '--json'], env);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout)).toMatchObject({ wasRunning: true, stopped: ['supervisor'] });
    expect([state.pids.supervisor, state.pids.auth, state.pids.realtime, ...workers].filter((pid) => isAlive(pid))).toEqual([]);
    await expect(stat(path.join(home, 'state.json'))).rejects.toThrow();
    expect((await drivrr(['health', '--json'], env)).code).toBe(3);
  }, 60_000);

  it('refuses to start several workers without Redis, naming where it looked, and starts nothing', async () => {
    const deadPort = await freePort();
    const up = await drivrr(['up', '--realtime-workers', '2', '--auth-port', String(authPort), '--realtime-port', String(realtimePort)], { ...env, REDIS_URL: `redis://:secret@127.0.0.1:${deadPort}` });
    expect(up.code).toBe(1);
    expect(up.stderr.trim().split('\n').at(-1)).toBe(
      `error: several realtime workers need Redis: REDIS_URL (redis://:***@127.0.0.1:${deadPort}) does not answer PING: connection refused`,
    );
    await expect(stat(path.join(home, 'state.json'))).rejects.toThrow();

    // no REDIS_URL and nothing at the local address: the error names both
    const localUrl = `redis://127.0.0.1:${deadPort}`;
    await expect(resolveStackRedis({}, home, localUrl)).rejects.toThrow(
      `several realtime workers need Redis: REDIS_URL is not set and no Redis answers at ${localUrl} (connection refused); start one (redis-server) or set REDIS_URL, or run one worker (--realtime-workers 1)`,
    );
  }, 60_000);

  it('gives each stack home a key prefix of its own, kept across restarts', () => {
    expect(stackRedisPrefix('/a/.drivrr')).toMatch(/^drivrr:[0-9a-f]{10}:$/);
    expect(stackRedisPrefix('/a/.drivrr')).toBe(stackRedisPrefix('/a/.drivrr'));
    expect(stackRedisPrefix('/b/.drivrr')).not.toBe(stackRedisPrefix('/a/.drivrr'));
  });
});
