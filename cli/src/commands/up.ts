/**
 * `drivrr up`: the whole platform on this machine. Thin layer over platform/stack.ts:
 * flags -> startStack() -> ready table -> wait for Ctrl-C (or run detached under a supervisor).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { CliError, EXIT, EXIT_INTERRUPTED, color, info, printJson } from '../output.js';
import { parsePort, parseWorkerCount } from '../platform/options.js';
import { isOurs, SERVICE_MARKERS, terminate } from '../platform/processes.js';
import { phaseProgress } from '../platform/progress.js';
import { redactUrl, STACK_PHASES, startStack, type RunningStack, type ServiceName } from '../platform/stack.js';
import { describeStack, printReady, type ReadySummary } from '../platform/summary.js';
import { clearStackState, drivrrHome, readStackState, writeStackState } from '../stack-state.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

interface UpFlags {
  authPort?: number;
  realtimePort?: number;
  databaseUrl?: string;
  realtimeWorkers: number;
  detach?: boolean;
  quiet?: boolean;
  json?: boolean;
  supervise?: boolean;
}

function portFromEnv(name: 'AUTH_PORT' | 'REALTIME_PORT'): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  try {
    return parsePort(value);
  } catch (error) {
    throw new CliError(`${name}: ${(error as Error).message}`, EXIT.usage);
  }
}

function serviceLogWriter(quiet: boolean): (service: ServiceName, line: string) => void {
  if (quiet) return () => {};
  const tag = { auth: color.cyan('auth     |'), realtime: color.yellow('realtime |') };
  return (service, line) => process.stderr.write(`${tag[service]} ${line}\n`);
}

/** Refuses to start over a live stack; tidies what a dead one left behind. */
async function checkNoStackRunning(): Promise<void> {
  const state = await readStackState();
  if (!state) return;
  if (await isOurs(state.pids.supervisor, ' up')) {
    throw new CliError(`a stack is already running (pid ${state.pids.supervisor}, ${state.authUrl}); stop it with "drivrr down" first`);
  }
  await Promise.all(
    [state.pids.auth, state.pids.realtime].map(async (pid) => {
      if (await isOurs(pid, SERVICE_MARKERS)) await terminate(pid!, 'SIGTERM', 3_000);
    }),
  );
  // an orphaned embedded PostgreSQL is recovered when the database starts
  await clearStackState();
}

async function runStack(flags: UpFlags, report: { ready(summary: ReadySummary): void; failed(error: unknown): void }): Promise<void> {
  const home = drivrrHome();
  const started = performance.now();
  // Ctrl-C while starting: abort, and startStack stops whatever it had started
  const interrupted = new AbortController();
  const onEarlySignal = (signal: NodeJS.Signals) => interrupted.abort(new CliError(`interrupted (${signal}) before the stack was ready; everything started was stopped`, EXIT_INTERRUPTED));
  for (const signal of STOP_SIGNALS) process.on(signal, onEarlySignal);
  const progress = phaseProgress(STACK_PHASES);
  let stack: RunningStack;
  try {
    await checkNoStackRunning();
    stack = await startStack({
      home,
      authPort: flags.authPort!,
      realtimePort: flags.realtimePort!,
      databaseUrl: flags.databaseUrl,
      realtimeWorkers: flags.realtimeWorkers,
      env: process.env,
      progress: (line) => progress.note(line),
      onPhase: (phase, state) => (state === 'start' ? progress.start(phase) : progress.end(phase)),
      serviceLog: serviceLogWriter(Boolean(flags.quiet)),
      serviceStdout: flags.supervise ? 'file' : 'pipe',
      signal: interrupted.signal,
    });
    await progress.finished();
  } catch (error) {
    await progress.fail(error);
    report.failed(interrupted.signal.aborted ? interrupted.signal.reason : error);
    return;
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onEarlySignal);
  }
  const summary: ReadySummary = {
    ...describeStack({
      authUrl: stack.authUrl,
      realtimeUrl: stack.realtimeUrl,
      databaseUrl: stack.databaseUrl,
      embeddedDataDir: stack.embedded?.dataDir,
      pids: {
        supervisor: process.pid,
        auth: stack.services.find((s) => s.name === 'auth')?.pid,
        realtime: stack.services.find((s) => s.name === 'realtime')?.pid,
        postgres: stack.embedded?.pid,
      },
      home,
      realtimeWorkers: stack.realtimeWorkers,
      redis: stack.redis ? { url: redactUrl(stack.redis.url), prefix: stack.redis.prefix } : undefined,
    }),
    readyInMs: Math.round(performance.now() - started),
    timingsMs: stack.timings,
    logFile: flags.supervise ? path.join(home, 'logs', 'stack.log') : undefined,
  };
  await writeStackState({
    authUrl: stack.authUrl,
    realtimeUrl: stack.realtimeUrl,
    databaseUrl: stack.databaseUrl,
    embeddedDatabase: Boolean(stack.embedded),
    pids: summary.pids,
    realtimeWorkers: stack.realtimeWorkers,
    ...(summary.redis ? { redis: summary.redis } : {}),
    startedAt: new Date().toISOString(),
    detached: Boolean(flags.supervise),
  });

  let shuttingDown = false;
  const shutdown = async (reason: string, exitCode: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    info(color.dim(`- ${reason}: stopping the services, then the database`));
    await stack.stop();
    await clearStackState();
    info(color.dim('- stopped'));
    process.exit(exitCode);
  };
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      if (shuttingDown) info(color.dim('- still stopping...'));
      void shutdown(signal, EXIT.ok);
    });
  }
  void stack.crashed.then((what) => {
    info(`${color.red('error')}: ${what}`);
    void shutdown('a part of the stack stopped', EXIT.failure);
  });
  report.ready(summary);
}

/** `up --detach`: start a supervisor in the background, wait for its ready report, return. */
async function detach(flags: UpFlags): Promise<void> {
  const home = drivrrHome();
  const logDir = path.join(home, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, 'stack.log');
  const fd = openSync(logFile, 'a');
  const args = [fileURLToPath(new URL('../bin.js', import.meta.url)), 'up', '--supervise', '--auth-port', String(flags.authPort!), '--realtime-port', String(flags.realtimePort!)];
  if (flags.databaseUrl) args.push('--database-url', flags.databaseUrl);
  if (flags.realtimeWorkers > 1) args.push('--realtime-workers', String(flags.realtimeWorkers));
  if (flags.quiet) args.push('--quiet');
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd, 'ipc'], env: { ...process.env, NO_COLOR: '1' } });
  closeSync(fd);
  type Report = { type: 'ready'; summary: ReadySummary } | { type: 'failed'; message: string; exitCode: number };
  const report = await new Promise<Report>((resolve) => {
    child.once('message', (message) => resolve(message as Report));
    child.once('exit', async (code) => {
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').at(-1) ?? '';
      resolve({ type: 'failed', message: tail.replace(/^error: /, '') || `the stack supervisor exited with code ${code}`, exitCode: code ?? EXIT.failure });
    });
  });
  if (child.connected) child.disconnect();
  child.unref();
  if (report.type === 'failed') throw new CliError(report.message, report.exitCode || EXIT.failure);
  if (flags.json) printJson({ ...report.summary, detached: true });
  else printReady(report.summary, true);
}

export function register(program: Command): void {
  program
    .command('up')
    .description('Start the whole platform: database, migrations, auth and realtime services')
    .option('--auth-port <port>', 'port of the auth/REST service (default: $AUTH_PORT, else 3000)', parsePort)
    .option('--realtime-port <port>', 'port of the realtime (WebSocket) service (default: $REALTIME_PORT, else 8081)', parsePort)
    .option('--database-url <url>', 'use this PostgreSQL instead of the embedded one (default: $DATABASE_URL)')
    .option('--realtime-workers <n>', 'realtime nodes on this machine, sharing the realtime port (more than 1 needs Redis)', parseWorkerCount, 1)
    .option('-d, --detach', 'start in the background and return once healthy (stop with "drivrr down")')
    .option('-q, --quiet', "do not forward the services' logs")
    .option('--json', 'print the ready summary as JSON')
    .addOption(new Option('--supervise', 'internal: the background supervisor of --detach').hideHelp())
    .addHelpText(
      'after',
      `
With no DATABASE_URL an embedded PostgreSQL is started (data kept in $DRIVRR_HOME/pg, default
./.drivrr/pg). Signing keys are generated once into $DRIVRR_HOME/keys unless JWT_PRIVATE_KEY and
JWT_PUBLIC_KEY are set. Pending migrations run, then both services start and the command waits
until both /api/health answer 200. Service logs (JSON) go to stderr, prefixed by the service.
With --realtime-workers N (N > 1) a node:cluster primary runs N realtime nodes on the one realtime
port, as a cluster on Redis: REDIS_URL, else the local redis://127.0.0.1:6379 when it answers PING
(else an error naming both). Keys and channels get a prefix of this stack's own (REDIS_PREFIX overrides
it); a worker that dies is logged and replaced; "drivrr health" and "status" list every node.
Dev defaults passed to the services unless set in your environment:
  NODE_ENV=development  OTP_TEST_PHONES=+92399*=000000  OPERATOR_PHONES=+923990000000

Examples:
  $ npx drivrr up                         # foreground; Ctrl-C stops everything
  $ npx drivrr up --detach && npx drivrr health
  $ DATABASE_URL=postgres://postgres@127.0.0.1:5432/drivrr npx drivrr up
  $ npx drivrr up --auth-port 4000 --realtime-port 4001 --quiet
  $ AUTH_PORT=4000 REALTIME_PORT=4001 npx drivrr up --detach   # the flags win over these
  $ npx drivrr up --realtime-workers 2    # two realtime nodes on the local Redis

Exit codes: 0 stopped cleanly (or detached and healthy), 1 failed to start or a part crashed, 2 bad usage,
130 interrupted before the stack was ready.`,
    )
    .action(async (flags: UpFlags) => {
      flags.databaseUrl ??= process.env.DATABASE_URL || undefined;
      // the flags win over the environment, which wins over the defaults
      flags.authPort ??= portFromEnv('AUTH_PORT') ?? 3000;
      flags.realtimePort ??= portFromEnv('REALTIME_PORT') ?? 8081;
      if (flags.detach && !flags.supervise) return detach(flags);
      if (flags.supervise) {
        // the background supervisor: report to the `up --detach` that started us, over IPC
        return runStack(flags, {
          ready: (summary) => {
            process.send?.({ type: 'ready', summary: { ...summary, logFile: path.join(drivrrHome(), 'logs', 'stack.log') } });
            info(`ready: ${summary.authUrl} ${summary.realtimeUrl}`);
            process.channel?.unref();
          },
          failed: (error) => {
            const message = error instanceof Error ? error.message : String(error);
            info(`error: ${message}`);
            const exitCode = error instanceof CliError ? error.exitCode : EXIT.failure;
            if (process.send) process.send({ type: 'failed', message, exitCode }, () => process.exit(exitCode));
            else process.exit(exitCode);
          },
        });
      }
      return runStack(flags, {
        ready: (summary) => (flags.json ? printJson(summary) : printReady(summary, false)),
        failed: (error) => {
          throw error;
        },
      });
    });
}
