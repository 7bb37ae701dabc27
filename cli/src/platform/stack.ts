/**
 * Brings a whole local stack up and down: database (embedded or DATABASE_URL), signing keys,
 * migrations, and both services as child processes, then waits until both are healthy.
 * The `up` command is a thin layer over `startStack()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';
import pg from 'pg';
import { migrateUp } from '@drivrr/migrations';
import { CliError } from '../output.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { loadOrCreateKeys, type StackKeys } from './keys.js';
import { isPortFree } from './ports.js';
import { lanAddress } from './lan.js';
import { sleep, terminate } from './processes.js';
// the Redis client is loaded only by a stack with several realtime workers: every other CLI command starts without it
import type { StackRedis } from './redis.js';

/** Defaults for a development stack; anything in the user's environment wins. */
export const DEV_DEFAULT_ENV: Readonly<Record<string, string>> = {
  NODE_ENV: 'development',
  /** Test phones with a fixed code (accounts service): any +92399... number logs in with 000000. */
  OTP_TEST_PHONES: '+92399*=000000',
  /** Phones whose accounts get the operator role (ops map). */
  OPERATOR_PHONES: '+923990000000',
};

export type ServiceName = 'auth' | 'realtime';

/** The phases of a start, in order (what the progress list shows). */
export const STACK_PHASES = [
  ['keys', 'Signing keys'],
  ['database', 'Database'],
  ['migrations', 'Migrations'],
  ['services', 'Auth and realtime services healthy'],
] as const;
export type StackPhase = (typeof STACK_PHASES)[number][0];

/** Where each service's JSON log lines are kept (what `drivrr logs` reads). */
export function serviceLogFile(home: string, service: ServiceName): string {
  return path.join(home, 'logs', `${service}.log`);
}

export interface StackOptions {
  home: string;
  authPort: number;
  realtimePort: number;
  /** An external database; the embedded one is started when absent. */
  databaseUrl?: string;
  /** The user's environment (passed through to the services). */
  env: NodeJS.ProcessEnv;
  /** Progress lines for people. */
  progress: (line: string) => void;
  /** Each line a service writes (JSON logs), tagged with the service's name. */
  serviceLog: (service: ServiceName, line: string) => void;
  /**
   * Either way each service's log lines are kept in `$DRIVRR_HOME/logs/<service>.log`.
   * 'pipe' (default): the services' stdout comes through `serviceLog` and is copied to the file.
   * 'file': they write straight into the file (under --detach), so their logging survives this
   * process being killed hard (a write to a broken pipe can hang a logger at exit). Their stderr,
   * where a start-up error appears, is always piped (and copied to the file).
   */
  serviceStdout?: 'pipe' | 'file';
  /** Each phase of STACK_PHASES as it starts and ends (progress display). */
  onPhase?: (phase: StackPhase, state: 'start' | 'end') => void;
  healthTimeoutMs?: number;
  /**
   * Realtime nodes on this machine (default 1: one process, in memory, no Redis). More than one:
   * a node:cluster primary (realtime-cluster.ts) forks that many on the one realtime port, on the
   * Redis of resolveStackRedis() with this stack's key prefix.
   */
  realtimeWorkers?: number;
  /** Ctrl-C during start-up: stop what was started and reject with the signal's reason. */
  signal?: AbortSignal;
}

export interface RunningService {
  name: ServiceName;
  pid: number;
  url: string;
  child: ChildProcess;
}

interface SupervisedService extends RunningService {
  /** The last line the service wrote to stderr (its one-line start-up error, if any). */
  lastError(): string | undefined;
}

export interface RunningStack {
  authUrl: string;
  realtimeUrl: string;
  databaseUrl: string;
  embedded: EmbeddedPostgres | undefined;
  keys: StackKeys;
  services: RunningService[];
  appliedMigrations: string[];
  /** How many realtime nodes run (1 unless --realtime-workers). */
  realtimeWorkers: number;
  /** The cluster's Redis and key prefix (only with several realtime workers). */
  redis: StackRedis | undefined;
  /** Timing of each start-up phase (ms), for people curious where the time went. */
  timings: Record<string, number>;
  /** Resolves with a description when a service or the database dies on its own. */
  crashed: Promise<string>;
  /** Services first (SIGTERM, they drain), then the database (SIGINT). Idempotent. */
  stop(): Promise<void>;
}

/** Masks the password of a connection URL for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

async function checkDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    const reason = (error as Error).message || (error as { code?: string }).code || 'no answer';
    throw new CliError(`cannot reach the database at ${redactUrl(url)}: ${reason}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The entry point of `@drivrr/server-NAME` (its dist/main.js), resolved like any installed package. */
export function serviceEntry(name: ServiceName): string {
  const require = createRequire(import.meta.url);
  return require.resolve(`@drivrr/server-${name}/main`);
}

/** The node:cluster primary that runs several realtime workers on one port. */
export const REALTIME_CLUSTER_ENTRY = fileURLToPath(new URL('./realtime-cluster.js', import.meta.url));

/**
 * Ready when /api/health answers 200 and, for a cluster, its registry lists every worker. A
 * realtime service that does not report `cluster` (no cluster support) counts as ready on the 200.
 */
function readyWhen(expectedNodes: number): (body: unknown) => boolean {
  return (body) => {
    if (expectedNodes <= 1) return true;
    const nodes = (body as { cluster?: { nodes?: unknown } } | null)?.cluster?.nodes;
    return !Array.isArray(nodes) || nodes.length >= expectedNodes;
  };
}

async function waitHealthy(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  lastError: () => string | undefined,
  signal?: AbortSignal,
  ready: (body: unknown) => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (child.exitCode !== null || child.signalCode !== null) {
      await sleep(200); // let its last stderr line arrive
      break;
    }
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) });
      const body: unknown = await res.json().catch(() => undefined);
      if (res.status === 200 && ready(body)) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new CliError(lastError() ?? `${url}/api/health did not answer 200 within ${Math.round(timeoutMs / 1000)} s`);
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const timings: Record<string, number> = {};
  const phase = async <T>(name: StackPhase, work: () => Promise<T>): Promise<T> => {
    options.signal?.throwIfAborted();
    const started = performance.now();
    options.onPhase?.(name, 'start');
    const result = await work().finally(() => {
      timings[name] = Math.round(performance.now() - started);
    });
    options.onPhase?.(name, 'end');
    return result;
  };

  // Fail before starting anything when a port is taken.
  for (const [service, port, flag] of [['auth', options.authPort, '--auth-port'], ['realtime', options.realtimePort, '--realtime-port']] as const) {
    if (!(await isPortFree(port))) throw new CliError(`port ${port} is already in use (wanted by ${service}); stop what holds it or pick another with ${flag}`);
  }
  if (options.authPort === options.realtimePort) throw new CliError(`auth and realtime cannot share port ${options.authPort}`);

  // Redis before anything starts: without it several workers cannot run, and that is said at once.
  const realtimeWorkers = options.realtimeWorkers ?? 1;
  let redis: StackRedis | undefined;
  const redisTools = realtimeWorkers > 1 ? await import('./redis.js') : undefined;
  if (redisTools) {
    redis = await redisTools.resolveStackRedis(options.env, options.home);
    options.progress(`${realtimeWorkers} realtime workers on Redis ${redactUrl(redis.url)}${redis.source === 'local' ? ' (the local one)' : ' (REDIS_URL)'}, key prefix ${redis.prefix}`);
    // what a hard-killed earlier run of this stack left (registry, presence) describes dead processes
    if (redis.ownPrefix) await redisTools.clearRedisPrefix(redis.url, redis.prefix);
  }

  const keys = await phase('keys', () => loadOrCreateKeys(options.home, options.env));
  if (keys.source === 'generated') options.progress(`generated ES256 signing keys in ${keys.dir}`);

  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl: string;
  if (options.databaseUrl) {
    databaseUrl = options.databaseUrl;
    options.progress(`using the database at ${redactUrl(databaseUrl)}`);
    await phase('database', () => checkDatabase(databaseUrl));
  } else {
    embedded = await phase('database', () => {
      options.progress('starting the embedded PostgreSQL');
      return startEmbeddedPostgres({ home: options.home, log: options.progress });
    });
    databaseUrl = embedded.url;
    options.progress(`embedded PostgreSQL ready on 127.0.0.1:${embedded.port} (data in ${embedded.dataDir})`);
  }

  const services: SupervisedService[] = [];
  const stopServices = async () => {
    await Promise.all(services.map((s) => (s.child.exitCode === null && s.child.signalCode === null ? terminate(s.pid, 'SIGTERM', 10_000) : undefined)));
  };
  try {
    const appliedMigrations = await phase('migrations', () =>
      migrateUp({ databaseUrl, log: () => {} }).catch((error: unknown) => {
        throw new CliError(`migrations failed: ${(error as Error).message.split('\n')[0]}`);
      }),
    );
    options.progress(appliedMigrations.length ? `applied ${appliedMigrations.length} migration(s): ${appliedMigrations.join(', ')}` : 'database schema is up to date');

    // test phones are for development: in production the auth service (rightly) refuses them
    const devDefaults = options.env.NODE_ENV === 'production' ? {} : DEV_DEFAULT_ENV;
    const baseEnv: NodeJS.ProcessEnv = {
      ...devDefaults,
      ...options.env,
      DATABASE_URL: databaseUrl,
      JWT_PRIVATE_KEY: keys.privateKeyPem,
      JWT_PUBLIC_KEY: keys.publicKeyPem,
      AUTH_PORT: String(options.authPort),
      REALTIME_PORT: String(options.realtimePort),
      // Share-the-trip links must open on the phones of the people they are sent to: the LAN address.
      REALTIME_PUBLIC_URL: options.env.REALTIME_PUBLIC_URL ?? `http://${lanAddress()?.address ?? '127.0.0.1'}:${options.realtimePort}`,
    };
    await phase('services', async () => {
      for (const name of ['auth', 'realtime'] as const) {
        const env = { ...baseEnv };
        // the realtime service verifies tokens with the public key only
        if (name === 'realtime') delete env.JWT_PRIVATE_KEY;
        if (name === 'realtime' && redis) {
          // the workers share one port: in the registry each shows the address of the stack's realtime service
          Object.assign(env, { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix, REALTIME_NODE_URL: options.env.REALTIME_NODE_URL ?? `http://127.0.0.1:${options.realtimePort}` });
        }
        const args = name === 'realtime' && realtimeWorkers > 1 ? [REALTIME_CLUSTER_ENTRY, '--workers', String(realtimeWorkers)] : [serviceEntry(name)];
        const logFile = serviceLogFile(options.home, name);
        mkdirSync(path.dirname(logFile), { recursive: true });
        const logFd = options.serviceStdout === 'file' ? openSync(logFile, 'a') : undefined;
        const child = spawn(process.execPath, args, { env, stdio: ['ignore', logFd ?? 'pipe', 'pipe'], detached: true });
        if (logFd !== undefined) closeSync(logFd);
        if (child.pid === undefined) throw new CliError(`could not start the ${name} service`);
        const log = createWriteStream(logFile, { flags: 'a' });
        log.on('error', () => {}); // the log copy is a convenience: never a reason to stop
        let lastStderr: string | undefined;
        for (const stream of [child.stdout, child.stderr]) {
          if (!stream) continue;
          readline.createInterface({ input: stream }).on('line', (line) => {
            if (stream === child.stderr && line.trim()) lastStderr = line.trim();
            log.write(`${line}\n`);
            options.serviceLog(name, line);
          });
        }
        child.once('exit', () => log.end());
        const port = name === 'auth' ? options.authPort : options.realtimePort;
        services.push({ name, pid: child.pid, url: `http://127.0.0.1:${port}`, child, lastError: () => lastStderr?.replace(/^drivrr \w+: /, '') });
      }
      await Promise.all(
        services.map((s) =>
          waitHealthy(s.url, s.child, options.healthTimeoutMs ?? 30_000, s.lastError, options.signal, readyWhen(s.name === 'realtime' ? realtimeWorkers : 1)),
        ),
      );
    });

    options.signal?.throwIfAborted();
    let stopping: Promise<void> | undefined;
    const crashed = new Promise<string>((resolve) => {
      for (const s of services) {
        s.child.once('exit', (code, signal) => {
          if (!stopping) resolve(`the ${s.name} service exited (${signal ?? `code ${code}`})`);
        });
      }
      void embedded?.exited.then(() => {
        if (!stopping) resolve('the embedded PostgreSQL exited');
      });
    });
    return {
      authUrl: services[0]!.url,
      realtimeUrl: services[1]!.url,
      databaseUrl,
      embedded,
      keys,
      services,
      appliedMigrations,
      realtimeWorkers,
      redis,
      timings,
      crashed,
      stop() {
        stopping ??= (async () => {
          await stopServices();
          if (redis?.ownPrefix) await redisTools?.clearRedisPrefix(redis.url, redis.prefix).catch(() => 0);
          await embedded?.stop();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await stopServices();
    await embedded?.stop();
    throw error;
  }
}
