#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [-- --pairs N] [-- --json FILE]`: the realtime benchmark (not a test).
 *
 * 1. Micro-benchmark: nearest-10 among 10,000 online drivers (bench/nearest.js).
 * 2. A scratch database `drivrr_bench_*` on 127.0.0.1:5432 with N drivers and N customers and a
 *    fresh ES256 key pair; real access tokens.
 * 3. For the service (server-realtime/dist/main.js) and for the bare `ws` relay baseline
 *    (bench/baseline-relay.js), alternating: the server pinned to CPU 0, generator processes
 *    (bench/generator.js) pinned to CPU 1; N drivers + N customers connect through the real
 *    handshake, drivers go online, each customer follows one driver; idle RSS per socket; a steady
 *    phase at 1 fix/s per driver; then rising offered rates until p99 >= 100 ms (saturation).
 *    System `cluster` (`--systems service,cluster`): its own redis-server on a spare port and 2
 *    service nodes on it, every fix crossing nodes; CPU per fix counts both nodes and Redis, plus
 *    Redis commands and bytes per fix (docs/performance.md, "Cluster mode").
 * 4. Everything is stopped and the database dropped, whatever happens. Bounded in time.
 *
 * `--held N` instead: N idle authenticated sockets over the 2 nodes of a cluster, from several
 * 127.0.0.x source addresses; sockets held, RSS per socket per node, heartbeats kept them alive.
 */
import { fork, spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateSigningKeys, signAccessToken } from '@drivrr/shared';
import { migrateUp } from '@drivrr/migrations';
import { benchNearest } from './nearest.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const quick = flag('quick');
/**
 * --held N: the sockets-held mode instead of the load steps: N idle authenticated sockets (N/2
 * drivers, N/2 customers) over the 2 nodes of a cluster, heartbeats on (--heartbeat-ms).
 */
const held = Number(option('held', 0));
const pairs = held > 0 ? Math.ceil(held / 2) : Number(option('pairs', quick ? 2_500 : 5_000));
const generatorCount = Number(option('generators', 2));
const steadyMs = Number(option('steady-s', quick ? 5 : 20)) * 1000;
const stepMs = Number(option('step-s', quick ? 3 : 6)) * 1000;
const rounds = Number(option('rounds', quick ? 1 : 2));
/** service: the real server; validating: bare relay + shared parse/validate/serialize; baseline: bare `ws` relay; cluster: 2 service nodes + Redis. */
const systems = option('systems', 'service,validating,baseline').split(',');
// Cluster mode climbs from the 5,000 fixes/s of its latency target; nodes and Redis share one core.
const defaultRates = systems.includes('cluster') ? '5000,10000,15000,20000,25000' : quick ? '10000,20000,30000,40000,50000' : '10000,15000,20000,25000,30000,35000,40000,45000,50000,55000,60000';
const steps = option('rates', defaultRates).split(',').map(Number);
const serverCpu = option('server-cpu', '0');
const generatorCpu = option('generator-cpu', '1');
const adminUrl = option('database', 'postgres://postgres@127.0.0.1:5432/postgres');
const jsonOut = option('json', undefined);
/**
 * --priority: run the server and the generators in their own scheduling groups at nice -10, so
 * other work on a shared machine disturbs the measurement less (both systems get the same).
 */
const priority = flag('priority');
/** --profile DIR: write a V8 CPU profile of the server process (for finding where time goes). */
const profileDir = option('profile', undefined);
/** --server-node-args "A B": extra Node flags for the server process (diagnosis, e.g. --trace-gc). */
const serverNodeArgs = (option('server-node-args', '') ?? '').split(' ').filter(Boolean);
/** --variant DIR: also run DIR's build of the service as system "variant" (A/B of two checkouts). */
const variantDir = option('variant', undefined);
/**
 * --variant-env "K=V K2=V2": environment of the variant systems only (`variant`, `cluster-variant`),
 * e.g. an A/B of a setting on one build: `--variant . --variant-env CLUSTER_LOCATION_BATCH_MS=10`.
 */
const variantEnv = Object.fromEntries(
  (option('variant-env', '') ?? '').split(' ').filter(Boolean).map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--variant-env: "${pair}" is not K=V`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
/**
 * --cluster-same-node: in the cluster systems, each customer on the node of the driver he follows,
 * so no fix crosses nodes (what the cluster costs without its cross-node path; diagnosis).
 */
const clusterSameNode = flag('cluster-same-node');
/** --server-wrapper "CMD ARGS": start the server under CMD (e.g. valgrind --tool=callgrind); diagnosis only. */
const serverWrapper = (option('server-wrapper', '') ?? '').split(' ').filter(Boolean);
/** --redis-cpu: where the cluster's redis-server runs (default: with the nodes, the server CPU). */
const redisCpu = option('redis-cpu', serverCpu);
/**
 * --cluster-cpus A,B: the CPU (a taskset list) of each cluster node in turn (default: every node on
 * the server CPU, with Redis: the single node's one core). `--cluster-cpus 0,1 --redis-cpu 0-1`
 * gives each node a core of its own, shared with the generators (CPU 1) and Redis.
 */
const clusterCpus = option('cluster-cpus', serverCpu).split(',');
/** --cluster-build DIR: the checkout whose server-realtime/dist/main.js the cluster nodes run (default: this one). */
const clusterBuild = option('cluster-build', root.replace(/\/$/, ''));
/** Nodes of the cluster system (each its own process and port). */
const CLUSTER_NODES = 2;
/** --heartbeat-ms: HEARTBEAT_INTERVAL_MS of the nodes in the sockets-held mode (short, so the run sees several). */
const heldHeartbeatMs = Number(option('heartbeat-ms', 2_000));
/** --source-addresses K: the sockets-held mode connects from 127.0.0.2 .. 127.0.0.(K+1), each with its own ephemeral ports. */
const sourceAddressCount = Number(option('source-addresses', Math.max(1, Math.ceil(held / 10_000))));
const HARD_LIMIT_MS = Number(option('time-limit-s', held > 0 ? 600 : quick ? 180 : 900)) * 1000;

const log = (message) => process.stderr.write(`${message}\n`);
/**
 * The monotonic clock (us) at the start and end of each phase, in the log, to cut a profile to it:
 * V8's CPU profiles (--profile) and `perf record -k CLOCK_MONOTONIC` use the same clock.
 */
const mark = (phase) => log(`bench: mark ${phase} at ${process.hrtime.bigint() / 1000n} us (monotonic)`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const hardStop = setTimeout(() => {
  log(`bench: time limit of ${HARD_LIMIT_MS / 1000} s reached, stopping`);
  void cleanup().finally(() => process.exit(2));
}, HARD_LIMIT_MS);
hardStop.unref();

/** Every process the bench starts (servers, redis-server, generators): killed at the end, whatever happens. */
const children = new Set();
let dbName;

async function cleanup() {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  if (dbName) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((e) => log(`bench: drop failed: ${e.message}`));
    await admin.end();
    dbName = undefined;
  }
}
process.on('SIGINT', () => void cleanup().finally(() => process.exit(130)));
process.on('SIGTERM', () => void cleanup().finally(() => process.exit(143)));
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function pin(pid, cpu) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
  } catch {
    log(`bench: could not pin ${pid} to CPU ${cpu}`);
  }
  if (priority) {
    try {
      // Detached children lead their own session, hence their own autogroup: nice it.
      writeFileSync(`/proc/${pid}/autogroup`, '-10');
      execFileSync('renice', ['-n', '-10', '-p', String(pid)], { stdio: 'ignore' });
    } catch (error) {
      log(`bench: could not raise the priority of ${pid}: ${error.message}`);
    }
  }
}

function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const { user, system } = cpuSplit(pid);
  return user + system;
}

/** CPU seconds a process has used so far, user and system apart. */
function cpuSplit(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, timeoutMs = serverWrapper.length > 0 ? 300_000 : 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await sleep(100);
  }
}

function ask(child, message, replyType) {
  return new Promise((resolve, reject) => {
    const onMessage = (reply) => {
      if (reply.type === 'failed') {
        child.off('message', onMessage);
        reject(new Error(reply.message));
      } else if (reply.type === replyType) {
        child.off('message', onMessage);
        resolve(reply);
      }
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

async function prepareDatabase() {
  dbName = `drivrr_bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const url = adminUrl.replace(/\/[^/]*$/, `/${dbName}`);
  await migrateUp({ databaseUrl: url });
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const insert = (prefix, role) =>
    db.query(
      `INSERT INTO users (phone, role, name) SELECT '+9239' || $1 || lpad(g::text, 7, '0'), $2, 'Bench ' || $2 || ' ' || g
       FROM generate_series(1, $3::int) g ORDER BY g RETURNING id`,
      [prefix, role, pairs],
    );
  const drivers = (await insert('1', 'driver')).rows.map((r) => r.id);
  const customers = (await insert('2', 'customer')).rows.map((r) => r.id);
  // driver.online needs a vehicle on file, and a customer may follow only the driver of its own
  // active ride: each pair gets a vehicle and an assigned ride, as after a real haggle.
  await db.query(
    `INSERT INTO vehicles (driver_id, make, model, color, plate, type)
     SELECT d, 'Suzuki', 'Alto', 'White', 'BENCH-' || n, 'car' FROM unnest($1::uuid[]) WITH ORDINALITY AS t(d, n)`,
    [drivers],
  );
  await db.query(
    `INSERT INTO rides (customer_id, driver_id, status, pickup_lat, pickup_lng, dropoff_lat, dropoff_lng, fare, agreed_fare,
                        currency, payment_method, distance_m, duration_s, suggested_fare, minimum_fare, expires_at, assigned_at)
     SELECT c, d, 'assigned', 24.86, 67.0, 24.9, 67.1, 50000, 50000, 'PKR', 'cash', 5000, 600, 50000, 20000, now(), now()
     FROM unnest($1::uuid[], $2::uuid[]) AS t(d, c)`,
    [drivers, customers],
  );
  await db.end();
  const keys = generateSigningKeys();
  const sign = (sub, role) => signAccessToken({ sub, role }, { privateKey: keys.privateKeyPem, kid: keys.kid }, 3600).token;
  const pairList = drivers.map((driverId, index) => ({
    index,
    driverId,
    driverToken: sign(driverId, 'driver'),
    customerToken: sign(customers[index], 'customer'),
  }));
  return { url, keys, pairList };
}

/**
 * Starts one server process of a system on `port`, pinned to the server CPU. `extraEnv` adds to the
 * service's environment (cluster nodes: REDIS_URL and their node id); `label` names it in the log.
 */
async function startServer(system, port, ctx, extraEnv = {}, label = system, cpu = serverCpu) {
  const script = {
    service: `${root}server-realtime/dist/main.js`,
    cluster: `${clusterBuild}/server-realtime/dist/main.js`,
    'cluster-variant': variantDir ? `${variantDir}/server-realtime/dist/main.js` : undefined,
    transport: `${root}bench/transport-only.js`,
    baseline: `${root}bench/baseline-relay.js`,
    validating: `${root}bench/validating-relay.js`,
    variant: variantDir ? `${variantDir}/server-realtime/dist/main.js` : undefined,
  }[system];
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: ctx.url,
    JWT_PUBLIC_KEY: ctx.keys.publicKeyPem,
    REALTIME_HOST: '127.0.0.1',
    REALTIME_PORT: String(port),
    // The saturation climb sends up to ~20 fixes/s per driver in quick mode, the default per-socket
    // limit (20/s): raise it so the benchmark measures relaying, not rate_limited answers.
    WS_RATE_PER_S: '100',
    WS_RATE_BURST: '200',
    ...extraEnv,
  };
  const child = fork(script, RELAYS.has(system) ? [String(port)] : [], {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: priority,
    ...(serverWrapper.length > 0 ? { execPath: serverWrapper[0] } : {}),
    execArgv: [...serverWrapper.slice(1), ...(serverWrapper.length > 0 ? [process.execPath] : []), ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...serverNodeArgs],
  });
  children.add(child);
  pin(child.pid, cpu);
  await waitForPort(port);
  log(`bench: ${label}: server pid ${child.pid}`);
  return child;
}

/**
 * The cluster's own Redis on a spare port (never the shared 6379): no persistence, so its CPU and
 * its commands are the bench's alone. Pinned to --redis-cpu (default: the server CPU).
 */
async function startRedis(port) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: priority,
  });
  children.add(child);
  child.once('error', (error) => log(`bench: redis-server: ${error.message}`));
  pin(child.pid, redisCpu);
  await waitForPort(port);
  log(`bench: redis-server on 127.0.0.1:${port}: pid ${child.pid} (CPU ${redisCpu})`);
  return child;
}

/** The number on the line `name: N` of a `key: value` text (/proc files, Redis INFO); NaN when absent. */
function numberField(text, name) {
  return Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
}

/**
 * Calls per Redis command so far (INFO commandstats, without the INFO calls of the bench itself),
 * and the bytes Redis has read and written. Commands a Lua script runs (redis.call) count as calls
 * of their own, besides the EVALSHA: these are the commands Redis executes, not round trips.
 */
function redisCounters(port) {
  const text = execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'INFO', 'stats', 'commandstats'], { encoding: 'utf8' });
  const calls = {};
  const usec = {};
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    if (match[1] === 'info') continue;
    calls[match[1]] = Number(match[2]);
    usec[match[1]] = Number(match[3]);
  }
  return { calls, usec, netBytes: numberField(text, 'total_net_input_bytes') + numberField(text, 'total_net_output_bytes') };
}

/**
 * From the server's /metrics: its longest event-loop delay (ms) since the previous read (prom-client
 * resets it on every scrape), and the seconds it has spent in garbage collection so far (every kind).
 */
async function nodeMetrics(port) {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const lag = /^drivrr_realtime_nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text);
    let gcS = 0;
    for (const match of text.matchAll(/^drivrr_realtime_nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)$/gm)) gcS += Number(match[1]);
    return { lagMaxMs: lag ? Math.round(Number(lag[1]) * 1000) : NaN, gcS };
  } catch {
    return { lagMaxMs: NaN, gcS: NaN };
  }
}

async function health(port) {
  const response = await fetch(`http://127.0.0.1:${port}/api/health`);
  return response.json();
}

async function stopChild(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(8_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
  children.delete(child);
}

function summarize(results, durationMs) {
  const hist = new Map();
  let sent = 0;
  let received = 0;
  let max = 0;
  let errorFrames = 0;
  for (const r of results) {
    errorFrames += r.errorFrames;
    sent += r.sent;
    received += r.received;
    max = Math.max(max, r.maxLatency);
    for (const [ms, count] of r.buckets) hist.set(ms, (hist.get(ms) ?? 0) + count);
  }
  const sorted = [...hist.entries()].sort((a, b) => a[0] - b[0]);
  const pct = (p) => {
    if (received === 0) return NaN;
    const target = received * p;
    let acc = 0;
    for (const [ms, count] of sorted) {
      acc += count;
      if (acc >= target) return ms;
    }
    return sorted.at(-1)[0];
  };
  return {
    sent,
    offeredPerS: Math.round(sent / (durationMs / 1000)),
    deliveredPerS: Math.round(received / (durationMs / 1000)),
    received,
    deliveredRatio: sent === 0 ? 0 : received / sent,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    maxMs: max,
    errorFrames,
  };
}

/** Systems of 2 nodes + their own Redis: `cluster`, and `cluster-variant` (--variant DIR's build, for A/B). */
const CLUSTER_SYSTEMS = new Set(['cluster', 'cluster-variant']);
/** Systems built from --variant DIR, started with --variant-env on top of the usual environment. */
const VARIANTS = new Set(['variant', 'cluster-variant']);

/** Systems that speak the relay protocol (`?pair=N&role=...`, no tokens, no setup messages). */
const RELAYS = new Set(['baseline', 'validating']);

/**
 * Starts the server processes of a system: one for `service` and the relays; for `cluster`, its own
 * redis-server and CLUSTER_NODES service nodes on it (each its own process and port, pinned like
 * the service). Returns the processes whose CPU counts and the ports clients connect to.
 */
async function startSystemProcesses(system, ctx, extraEnv = {}, requireCluster = true) {
  if (!CLUSTER_SYSTEMS.has(system)) {
    const port = await freePort();
    log(`bench: ${system}: starting on 127.0.0.1:${port} (CPU ${serverCpu})`);
    const server = await startServer(system, port, ctx, extraEnv);
    return { processes: [{ name: 'server', child: server, port }], ports: [port], redisPort: undefined };
  }
  const redisPort = await freePort();
  const redis = await startRedis(redisPort);
  const processes = [];
  try {
    for (let n = 0; n < CLUSTER_NODES; n++) {
      const port = await freePort();
      const id = `bench-${String.fromCharCode(97 + n)}`;
      const cpu = clusterCpus[n % clusterCpus.length];
      log(`bench: ${system}: node ${id} on 127.0.0.1:${port} (CPU ${cpu})`);
      const child = await startServer(
        system,
        port,
        ctx,
        { REDIS_URL: `redis://127.0.0.1:${redisPort}`, REDIS_PREFIX: 'bench:', REALTIME_NODE_ID: id, REALTIME_NODE_URL: `http://127.0.0.1:${port}`, ...extraEnv },
        `${system} ${id}`,
        cpu,
      );
      processes.push({ name: id, child, port });
    }
    // A build without cluster mode ignores REDIS_URL: its nodes would not relay across nodes.
    for (const p of processes) {
      const body = await health(p.port);
      p.mode = body.node?.mode ?? 'single (no node in /api/health)';
      if (body.node?.mode === 'cluster') continue;
      if (!requireCluster) {
        log(`bench: ${p.name}: not in cluster mode (${p.mode}): the nodes run side by side without Redis`);
        continue;
      }
      throw new Error(`${p.name}: /api/health shows no cluster mode (node: ${JSON.stringify(body.node)}); this build of server-realtime has none (merge issue-14, or --cluster-build DIR)`);
    }
  } catch (error) {
    for (const p of processes) await stopChild(p.child);
    await stopChild(redis);
    throw error;
  }
  processes.push({ name: 'redis', child: redis, port: redisPort });
  return { processes, ports: processes.filter((p) => p.name !== 'redis').map((p) => p.port), redisPort };
}

/** CPU seconds used so far by each process, user and system apart. */
function cpuOf(processes) {
  return processes.map((p) => cpuSplit(p.child.pid));
}

/**
 * Read-like and write-like system calls a process has made so far (/proc/<pid>/io syscr, syscw):
 * on this VM a loopback syscall costs ~10-20 us, so they explain much of the CPU per fix.
 */
function syscallsOf(pid) {
  const text = readFileSync(`/proc/${pid}/io`, 'utf8');
  return { reads: numberField(text, 'syscr'), writes: numberField(text, 'syscw') };
}

/**
 * Context switches of a process's main thread so far (/proc/<pid>/status): with the nodes and Redis
 * on one core, every message between them wakes a process, and a switch costs far more on this VM
 * than the system call that caused it.
 */
function switchesOf(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  return numberField(text, 'voluntary_ctxt_switches') + numberField(text, 'nonvoluntary_ctxt_switches');
}

/**
 * Starts one system and its generators, connects every socket through the handshake and measures
 * idle RSS per socket. Returns a handle: info (what the set-up measured), measure() runs one load
 * step, close() stops it all.
 */
/** Closes the generators' sockets, then kills them and stops the system's processes (nodes, Redis). */
async function closeGeneratorsAndProcesses(generators, processes) {
  await Promise.all(generators.map((g) => ask(g, { cmd: 'close' }, 'closed').catch(() => {})));
  await sleep(500);
  for (const g of generators) {
    g.kill('SIGKILL');
    children.delete(g);
  }
  for (const p of processes) await stopChild(p.child);
}

async function openSystem(system, ctx) {
  // With --cluster-same-node no fix needs to cross nodes, so nodes without cluster mode (e.g. the
  // variant with `--variant-env REDIS_URL=`) are a fair comparison too: two processes side by side.
  const { processes, ports, redisPort } = await startSystemProcesses(system, ctx, VARIANTS.has(system) ? variantEnv : {}, !clusterSameNode);
  const nodes = processes.filter((p) => p.name !== 'redis');
  const generators = [];
  const close = () => closeGeneratorsAndProcesses(generators, processes);
  try {
    await sleep(1_000);
    const rssBefore = nodes.map((p) => rssBytes(p.child.pid));
    const slice = Math.ceil(ctx.pairList.length / generatorCount);
    for (let g = 0; g < generatorCount; g++) {
      const child = fork(`${root}bench/generator.js`, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: priority });
      children.add(child);
      pin(child.pid, generatorCpu);
      const config = { relay: RELAYS.has(system), host: '127.0.0.1', ports, sameNode: clusterSameNode, pairs: ctx.pairList.slice(g * slice, (g + 1) * slice) };
      await ask(child, { cmd: 'init', config }, 'init');
      generators.push(child);
    }
    const t0 = Date.now();
    const connected = await Promise.all(generators.map((g) => ask(g, { cmd: 'connect' }, 'connected')));
    const failures = connected.reduce((n, r) => n + r.failures, 0);
    const retries = connected.reduce((n, r) => n + r.retries, 0);
    const connectS = (Date.now() - t0) / 1000;
    const ready = await Promise.all(generators.map((g) => ask(g, { cmd: 'setup' }, 'ready')));
    const setupErrors = ready.reduce((n, r) => n + r.errors, 0);
    const setupRetries = ready.reduce((n, r) => n + (r.retries ?? 0), 0);
    await sleep(3_000);
    const sockets = ctx.pairList.length * 2 - failures;
    const rssIdle = nodes.map((p) => rssBytes(p.child.pid));
    // Sockets each node holds (its own authenticated connections; the relays have no health route).
    const socketsByNode = RELAYS.has(system)
      ? [sockets]
      : await Promise.all(nodes.map(async (p) => {
          const c = (await health(p.port)).connections;
          return c.drivers + c.customers + (c.operators ?? 0);
        }));
    const perSocketKiBByNode = nodes.map((_, i) => (rssIdle[i] - rssBefore[i]) / Math.max(1, socketsByNode[i]) / 1024);
    const perSocketKiB = median(perSocketKiBByNode);
    log(`bench: ${system}: ${sockets} sockets in ${connectS.toFixed(1)} s (${failures} failed, ${retries} retried, ${setupErrors} setup errors, ${setupRetries} setup answers "try again" re-sent); ${nodes.map((p, i) => `${p.name}: ${socketsByNode[i]} sockets, RSS ${(rssBefore[i] / 2 ** 20).toFixed(0)} -> ${(rssIdle[i] / 2 ** 20).toFixed(0)} MiB = ${perSocketKiBByNode[i].toFixed(1)} KiB/socket`).join('; ')}`);

    const measure = async (ratePerDriver, durationMs) => {
      // Reading a node's metrics resets its event-loop lag window: this read starts the step's
      // (before the CPU snapshot, so rendering the metrics is not counted as the step's CPU).
      const metrics0 = RELAYS.has(system) ? [] : await Promise.all(nodes.map((p) => nodeMetrics(p.port)));
      const split0 = cpuOf(processes);
      const sys0 = processes.map((p) => syscallsOf(p.child.pid));
      const switches0 = processes.map((p) => switchesOf(p.child.pid));
      const gcpu0 = generators.map((g) => cpuSeconds(g.pid));
      const redis0 = redisPort ? redisCounters(redisPort) : undefined;
      const results = await Promise.all(generators.map((g) => ask(g, { cmd: 'run', ratePerDriver, durationMs }, 'result')));
      const split1 = cpuOf(processes);
      const sys1 = processes.map((p) => syscallsOf(p.child.pid));
      const switches1 = processes.map((p) => switchesOf(p.child.pid));
      const redis1 = redisPort ? redisCounters(redisPort) : undefined;
      const metrics1 = RELAYS.has(system) ? [] : await Promise.all(nodes.map((p) => nodeMetrics(p.port)));
      const wallS = durationMs / 1000 + 1;
      const summary = summarize(results, durationMs);
      const used = processes.map((p, i) => ({ name: p.name, user: split1[i].user - split0[i].user, system: split1[i].system - split0[i].system }));
      const serverCpuS = used.reduce((n, u) => n + u.user + u.system, 0);
      const perFix = (seconds) => (summary.received === 0 ? NaN : Math.round(((seconds * 1e6) / summary.received) * 10) / 10);
      // Percent of one core, all of the system's processes together (cluster: nodes + Redis).
      summary.serverCpuPct = Math.round((serverCpuS / wallS) * 100);
      summary.serverCpuS = serverCpuS;
      summary.wallS = wallS;
      // CPU (user + system) of the server(s) per fix delivered: what the saturation ratio follows
      // (docs/performance.md); softirq time of the loopback is not in it. Cluster: nodes + Redis.
      summary.serverCpuUsPerFix = perFix(serverCpuS);
      summary.serverUserUsPerFix = perFix(used.reduce((n, u) => n + u.user, 0));
      if (processes.length > 1) {
        summary.cpuUsPerFixByProcess = Object.fromEntries(used.map((u) => [u.name, perFix(u.user + u.system)]));
      }
      // Per fix sent: reads / writes (system calls) of each process.
      summary.syscallsPerFixByProcess = Object.fromEntries(
        processes.map((p, i) => [p.name, summary.sent === 0 ? null : { reads: Math.round(((sys1[i].reads - sys0[i].reads) / summary.sent) * 100) / 100, writes: Math.round(((sys1[i].writes - sys0[i].writes) / summary.sent) * 100) / 100 }]),
      );
      // Per fix sent: context switches of each process's main thread.
      summary.switchesPerFixByProcess = Object.fromEntries(
        processes.map((p, i) => [p.name, summary.sent === 0 ? null : Math.round(((switches1[i] - switches0[i]) / summary.sent) * 100) / 100]),
      );
      if (redis0) {
        const byCommand = {};
        let total = 0;
        for (const [command, calls] of Object.entries(redis1.calls)) {
          const delta = calls - (redis0.calls[command] ?? 0);
          if (delta > 0) byCommand[command] = delta;
          total += delta;
        }
        // Per fix SENT: what a fix costs Redis does not depend on whether it arrived in time.
        summary.redisCommands = total;
        summary.redisCommandsPerFix = summary.sent === 0 ? NaN : Math.round((total / summary.sent) * 1000) / 1000;
        summary.redisCommandsByName = byCommand;
        // Time Redis spent executing each command, per fix sent (a script's time includes its inner
        // commands, which are also listed on their own): what the commands cost, without the I/O.
        summary.redisExecUsPerFixByName = Object.fromEntries(
          Object.entries(redis1.usec).map(([command, usec]) => [command, summary.sent === 0 ? NaN : Math.round(((usec - (redis0.usec[command] ?? 0)) / summary.sent) * 100) / 100]).filter(([, perFix]) => perFix > 0),
        );
        summary.redisNetBytesPerFix = summary.sent === 0 ? NaN : Math.round((redis1.netBytes - redis0.netBytes) / summary.sent);
      }
      // Stalls during the step: the longest event-loop delay of each server process and of the
      // generators (a p99 far above the usual one with a stall as long shows where the time went).
      summary.loopDelayMaxMs = { ...Object.fromEntries(nodes.map((p, i) => [p.name, metrics1[i]?.lagMaxMs ?? NaN])), generators: Math.max(...results.map((r) => r.loopDelayMaxMs ?? NaN)) };
      // Garbage collection (the main thread's part, as Node reports it) per fix delivered, per server process.
      if (!RELAYS.has(system)) summary.gcUsPerFixByProcess = Object.fromEntries(nodes.map((p, i) => [p.name, perFix(metrics1[i].gcS - metrics0[i].gcS)]));
      summary.generatorCpuPct = Math.round((generators.reduce((s, g, i) => s + cpuSeconds(g.pid) - gcpu0[i], 0) / wallS) * 100);
      // Other work on the machine shows up as latency: record how busy it was.
      summary.loadAvg1 = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
      return summary;
    };
    const info = {
      system,
      sockets,
      socketsByNode,
      connectS,
      failures,
      retries,
      setupErrors,
      rssBeforeMiB: rssBefore.reduce((a, b) => a + b, 0) / 2 ** 20,
      rssIdleMiB: rssIdle.reduce((a, b) => a + b, 0) / 2 ** 20,
      perSocketKiB,
      perSocketKiBByNode,
    };
    /** CPU seconds so far of all the system's processes (nodes + Redis). */
    /** CPU seconds so far of each process of the system, by name (a cluster's nodes and Redis apart). */
    const cpuByProcess = () => Object.fromEntries(cpuOf(processes).map((c, i) => [processes[i].name, c.user + c.system]));
    const assertAlive = () => {
      for (const p of processes) {
        if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`${p.name} (pid ${p.child.pid}) exited (code ${p.child.exitCode}, signal ${p.child.signalCode})`);
      }
    };
    return { system, info, measure, close, cpuByProcess, assertAlive };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Whether a step counts for saturation: p99 < 100 ms and >= 95 % of the fixes delivered. */
const withinTarget = (step) => step.p99Ms < 100 && step.deliveredRatio >= 0.95;

/** Saturation of one climb: the largest delivered rate of a step within the target. */
function saturationOf(climb) {
  const ok = climb.filter(withinTarget);
  return ok.length === 0 ? 0 : Math.max(...ok.map((s) => s.deliveredPerS));
}

/**
 * All systems stay connected for the whole run and take turns step by step (steady phase, then
 * each rate of the climb), the order flipping every step: the machine's state (other work, its
 * speed, which on this shared VM changes from minute to minute) falls on every system alike.
 */
async function runInterleaved(ctx) {
  const handles = [];
  const runs = [];
  try {
    for (const system of systems) handles.push(await openSystem(system, ctx));
    let turn = 0;
    // A system whose process died is measured no further; the others go on (the report says so).
    const inTurns = (list) => {
      const alive = list.filter((h) => !h.died);
      return turn++ % 2 === 0 ? alive : alive.reverse();
    };
    const measureOrDie = async (h, ratePerDriver, durationMs, what) => {
      try {
        h.assertAlive();
        mark(`${h.system} ${what}`);
        const step = await h.measure(ratePerDriver, durationMs);
        mark(`${h.system} ${what} end`);
        h.assertAlive();
        return step;
      } catch (error) {
        h.died = `${what}: ${error.message}`;
        log(`bench: ${h.system}: DIED during ${h.died}; measured no further`);
        return undefined;
      }
    };
    for (let round = 0; round < rounds; round++) {
      // Idle CPU (sockets connected, no fixes): heartbeats, timers, the cluster's registry. The
      // cluster report subtracts it to get the marginal CPU of a fix. All systems idle together.
      const idleMs = quick ? 3_000 : 5_000;
      const live = handles.filter((h) => !h.died);
      if (live.length === 0) break;
      const idle0 = live.map((h) => h.cpuByProcess());
      mark(`round ${round + 1} idle`);
      await sleep(idleMs);
      mark(`round ${round + 1} idle end`);
      // One snapshot per system at each end: the processes' parts, and the system's total as their sum.
      const idleSByProcess = live.map((h, i) => Object.entries(h.cpuByProcess()).map(([name, cpuS]) => [name, cpuS - idle0[i][name]]));
      const pct = (cpuS) => Math.round((cpuS / (idleMs / 1000)) * 1000) / 10;
      const idleCorePct = new Map(live.map((h, i) => [h, pct(idleSByProcess[i].reduce((n, [, cpuS]) => n + cpuS, 0))]));
      const idleParts = (i) => (idleSByProcess[i].length < 2 ? '' : ` (${idleSByProcess[i].map(([name, cpuS]) => `${name} ${pct(cpuS)}`).join(', ')})`);
      log(`bench: round ${round + 1}: idle CPU (% of a core): ${live.map((h, i) => `${h.system} ${idleCorePct.get(h)}${idleParts(i)}`).join(', ')}`);
      const steady = new Map();
      for (const h of inTurns(handles)) {
        const step = await measureOrDie(h, 1, steadyMs, `round ${round + 1}, steady phase`);
        if (!step) continue;
        steady.set(h, step);
        log(`bench: ${h.system}: round ${round + 1}: steady 1 fix/s/driver: ${JSON.stringify(steady.get(h))}`);
        await sleep(1_000);
      }
      const climbs = new Map(handles.map((h) => [h, []]));
      const climbing = new Set(handles);
      const missesInARow = new Map(handles.map((h) => [h, 0]));
      for (const rate of steps) {
        for (const h of inTurns(handles)) {
          if (!climbing.has(h)) continue;
          const step = await measureOrDie(h, rate / ctx.pairList.length, stepMs, `round ${round + 1}, offered ${rate}/s`);
          if (!step) {
            climbing.delete(h);
            continue;
          }
          climbs.get(h).push(step);
          log(`bench: ${h.system}: round ${round + 1}: offered ${rate}/s: ${JSON.stringify(step)}`);
          // Past saturation fixes pile up: stop climbing after three steps in a row over the target
          // (a noisy step or two, common on this VM, does not end the climb), or at once when fixes
          // are lost or p99 >= 1 s.
          missesInARow.set(h, withinTarget(step) ? 0 : missesInARow.get(h) + 1);
          if (missesInARow.get(h) >= 3 || step.deliveredRatio < 0.95 || step.p99Ms >= 1_000) climbing.delete(h);
          // Let a backlog drain before the next system's turn.
          await sleep(step.p99Ms >= 100 ? 3_000 : 1_000);
        }
        if (climbing.size === 0) break;
      }
      for (const h of handles) {
        if (!steady.has(h)) continue;
        runs.push({ ...h.info, round, idleCorePct: idleCorePct.get(h), steady: steady.get(h), saturation: climbs.get(h), saturationPerS: saturationOf(climbs.get(h)), ...(h.died ? { died: h.died } : {}) });
      }
    }
  } finally {
    for (const h of handles) await h.close();
  }
  runs.died = handles.filter((h) => h.died).map((h) => ({ system: h.system, died: h.died }));
  return runs;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Max open files (soft limit) of a process, from /proc/<pid>/limits. */
function openFileLimit(pid) {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s{2,}/)[1]);
}

/**
 * The sockets-held mode (--held N): N idle authenticated sockets over the nodes of a cluster (more
 * than one process may open: `ulimit -Hn`), from several 127.0.0.x source addresses; heartbeats
 * on with a short interval; after several intervals, every socket must still be open and have
 * answered pings. Reports sockets held and RSS per socket for each node.
 */
async function runHeld(ctx) {
  // Holding idle sockets needs no cross-node traffic: a build without cluster mode still runs
  // (two independent nodes), and the report says which mode the nodes ran in.
  const { processes, ports } = await startSystemProcesses('cluster', ctx, { HEARTBEAT_INTERVAL_MS: String(heldHeartbeatMs) }, false);
  const nodes = processes.filter((p) => p.name !== 'redis');
  const generators = [];
  try {
    await sleep(1_000);
    const rssBefore = nodes.map((p) => rssBytes(p.child.pid));
    // Each generator stays well under its own open-file limit.
    const count = Math.max(generatorCount, Math.ceil(held / 9_000));
    const localAddresses = Array.from({ length: sourceAddressCount }, (_, i) => `127.0.0.${i + 2}`);
    const slice = Math.ceil(ctx.pairList.length / count);
    for (let g = 0; g < count; g++) {
      const child = fork(`${root}bench/generator.js`, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: priority });
      children.add(child);
      pin(child.pid, generatorCpu);
      const config = { relay: false, host: '127.0.0.1', ports, localAddresses, pairs: ctx.pairList.slice(g * slice, (g + 1) * slice) };
      await ask(child, { cmd: 'init', config }, 'init');
      generators.push(child);
    }
    log(`bench: held: ${count} generators connect ${ctx.pairList.length * 2} sockets from ${localAddresses.join(', ')} to ${nodes.map((p) => `${p.name} :${p.port} (open-file limit ${openFileLimit(p.child.pid)})`).join(', ')}`);
    const t0 = Date.now();
    const connected = await Promise.all(generators.map((g) => ask(g, { cmd: 'connect' }, 'connected')));
    const connectS = (Date.now() - t0) / 1000;
    const failures = connected.reduce((n, r) => n + r.failures, 0);
    const retries = connected.reduce((n, r) => n + r.retries, 0);
    const socketsOf = async (p) => {
      const c = (await health(p.port)).connections;
      return c.drivers + c.customers + (c.operators ?? 0);
    };
    await sleep(3_000);
    const heldAfterConnect = await Promise.all(nodes.map(socketsOf));
    const rssIdle = nodes.map((p) => rssBytes(p.child.pid));
    const status0 = await Promise.all(generators.map((g) => ask(g, { cmd: 'status', mark: true }, 'status')));
    const pings0 = status0.reduce((n, s) => n + s.totalPings, 0);
    log(`bench: held: ${heldAfterConnect.reduce((a, b) => a + b, 0)} sockets held (${nodes.map((p, i) => `${p.name} ${heldAfterConnect[i]}`).join(', ')}) after ${connectS.toFixed(1)} s, ${failures} failed, ${retries} handshakes retried`);
    // A socket that missed a pong is terminated at the next tick: three intervals show the
    // heartbeat keeps every socket, not just that none has been checked yet.
    const waitMs = 3 * heldHeartbeatMs + 1_000;
    log(`bench: held: waiting ${waitMs / 1000} s (3 heartbeat intervals of ${heldHeartbeatMs} ms)`);
    await sleep(waitMs);
    const heldAfterWait = await Promise.all(nodes.map(socketsOf));
    const rssAfterWait = nodes.map((p) => rssBytes(p.child.pid));
    const status1 = await Promise.all(generators.map((g) => ask(g, { cmd: 'status' }, 'status')));
    const open = status1.reduce((n, s) => n + s.open, 0);
    const report = {
      mode: 'held',
      requested: ctx.pairList.length * 2,
      connected: ctx.pairList.length * 2 - failures,
      failures,
      retries,
      connectS,
      heartbeatIntervalMs: heldHeartbeatMs,
      waitedMs: waitMs,
      sourceAddresses: localAddresses,
      generators: count,
      nodes: nodes.map((p, i) => ({
        name: p.name,
        mode: p.mode,
        openFileLimit: openFileLimit(p.child.pid),
        socketsAfterConnect: heldAfterConnect[i],
        socketsAfterWait: heldAfterWait[i],
        rssBeforeMiB: rssBefore[i] / 2 ** 20,
        rssIdleMiB: rssIdle[i] / 2 ** 20,
        rssAfterWaitMiB: rssAfterWait[i] / 2 ** 20,
        perSocketKiB: (rssIdle[i] - rssBefore[i]) / Math.max(1, heldAfterConnect[i]) / 1024,
        perSocketKiBAfterWait: (rssAfterWait[i] - rssBefore[i]) / Math.max(1, heldAfterWait[i]) / 1024,
      })),
      clientSide: {
        open,
        closed: status1.reduce((n, s) => n + s.closed, 0),
        // Pings each open socket answered during the wait (null: none open).
        minPingsPerOpenSocket: Math.min(...status1.map((s) => s.minPingsSinceMark ?? Infinity)),
        pingsDuringWait: status1.reduce((n, s) => n + s.totalPings, 0) - pings0,
      },
    };
    return report;
  } finally {
    await closeGeneratorsAndProcesses(generators, processes);
  }
}

function printHeld(report) {
  const heldNow = report.nodes.reduce((n, p) => n + p.socketsAfterWait, 0);
  console.log(`\nDrivrr realtime: sockets held (${report.requested} idle authenticated sockets over ${report.nodes.length} cluster nodes, heartbeat every ${report.heartbeatIntervalMs} ms)`);
  console.log(`connected ${report.connected} of ${report.requested} in ${report.connectS.toFixed(1)} s (${report.failures} failed, ${report.retries} handshakes retried) from ${report.sourceAddresses.join(', ')}, ${report.generators} generator processes`);
  for (const p of report.nodes) {
    console.log(`${p.name} (${p.mode}): ${p.socketsAfterConnect} sockets after connect, ${p.socketsAfterWait} after ${report.waitedMs / 1000} s; RSS ${p.rssBeforeMiB.toFixed(0)} -> ${p.rssIdleMiB.toFixed(0)} MiB (${p.rssAfterWaitMiB.toFixed(0)} after the wait) = ${p.perSocketKiB.toFixed(1)} KiB/socket (${p.perSocketKiBAfterWait.toFixed(1)} after the wait); open-file limit ${p.openFileLimit}`);
  }
  const c = report.clientSide;
  console.log(`held after ${report.waitedMs / 1000} s: ${heldNow} (server side), ${c.open} open / ${c.closed} closed (client side); during the wait every open socket answered >= ${c.minPingsPerOpenSocket} ping(s), ${c.pingsDuringWait} pings in all`);
  console.log(`target: 30,000 idle authenticated sockets over 2 workers, heartbeats on: ${heldNow >= 30_000 && c.closed === 0 && c.minPingsPerOpenSocket >= 1 ? 'met' : 'NOT met'}`);
}

async function main() {
  if (held > 0) {
    log(`bench: sockets-held mode${priority ? ' (--priority)' : ''}: ${pairs} drivers + ${pairs} customers, idle`);
    const ctx = await prepareDatabase();
    const report = await runHeld(ctx);
    await cleanup();
    printHeld(report);
    if (jsonOut) await writeFile(jsonOut, JSON.stringify(report, null, 2));
    return;
  }
  log(`bench: ${quick ? 'quick' : 'full'} mode${priority ? ' (--priority)' : ''}, ${pairs} drivers + ${pairs} customers, ${generatorCount} generator process(es), ${rounds} round(s)`);
  const nearest = benchNearest();
  log(`bench: nearest-10 among ${nearest.drivers} drivers: p50 ${nearest.p50Ms.toFixed(4)} ms, p99 ${nearest.p99Ms.toFixed(4)} ms`);
  const ctx = await prepareDatabase();
  const runs = await runInterleaved(ctx);
  await cleanup();

  const bySystem = (system) => runs.filter((r) => r.system === system);
  const agg = (system) => {
    const rs = bySystem(system);
    if (rs.length === 0) return empty;
    return {
      runs: rs.length,
      sockets: rs[0].sockets,
      perSocketKiB: median(rs.map((r) => r.perSocketKiB)),
      steadyOfferedPerS: median(rs.map((r) => r.steady.offeredPerS)),
      steadyDeliveredPerS: median(rs.map((r) => r.steady.deliveredPerS)),
      steadyDeliveredRatio: median(rs.map((r) => r.steady.deliveredRatio)),
      steadyP50Ms: median(rs.map((r) => r.steady.p50Ms)),
      steadyP99Ms: median(rs.map((r) => r.steady.p99Ms)),
      steadyMaxMs: median(rs.map((r) => r.steady.maxMs)),
      steadyServerCpuPct: median(rs.map((r) => r.steady.serverCpuPct)),
      /** Per offered rate of the climb: median server CPU per delivered fix (us). */
      cpuUsPerFixByRate: Object.fromEntries(
        steps.map((rate) => [rate, median(rs.flatMap((r) => r.saturation.filter((s) => Math.abs(s.offeredPerS - rate) < rate * 0.02).map((s) => s.serverCpuUsPerFix)))]).filter(([, v]) => Number.isFinite(v)),
      ),
      saturationPerS: median(rs.map((r) => r.saturationPerS)),
      socketsByNode: rs[0].socketsByNode,
      perSocketKiBByNode: rs[0].perSocketKiBByNode.map((_, i) => median(rs.map((r) => r.perSocketKiBByNode[i]))),
    };
  };
  const empty = { runs: 0, sockets: 0, perSocketKiB: NaN, steadyOfferedPerS: 0, steadyDeliveredPerS: 0, steadyDeliveredRatio: 0, steadyP50Ms: NaN, steadyP99Ms: NaN, steadyMaxMs: NaN, steadyServerCpuPct: NaN, saturationPerS: NaN };
  const service = systems.includes('service') ? agg('service') : empty;
  const baseline = systems.includes('baseline') ? agg('baseline') : empty;
  const validating = systems.includes('validating') ? agg('validating') : empty;
  const cluster = systems.includes('cluster') ? clusterReport(bySystem('service'), bySystem('cluster')) : undefined;
  const report = {
    mode: quick ? 'quick' : 'full',
    pairs,
    nearest,
    service,
    validating,
    baseline,
    cluster,
    died: runs.died,
    ratios: {
      saturation: service.saturationPerS / baseline.saturationPerS,
      validatingSaturation: validating.saturationPerS / baseline.saturationPerS,
      serviceToValidatingSaturation: service.saturationPerS / validating.saturationPerS,
      perSocketRss: service.perSocketKiB / baseline.perSocketKiB,
    },
    runs,
  };
  const row = (name, s) =>
    `${name.padEnd(10)} ${String(s.sockets).padStart(7)} ${s.perSocketKiB.toFixed(1).padStart(9)} ${String(s.steadyOfferedPerS).padStart(9)} ${String(s.steadyDeliveredPerS).padStart(9)} ${(s.steadyDeliveredRatio * 100).toFixed(2).padStart(7)}% ${String(s.steadyP50Ms).padStart(5)} ${String(s.steadyP99Ms).padStart(5)} ${String(s.steadyMaxMs).padStart(6)} ${String(s.steadyServerCpuPct).padStart(5)}% ${String(s.saturationPerS).padStart(9)}`;
  console.log(`\nDrivrr realtime benchmark (${report.mode}; medians of ${rounds} round(s), systems interleaved step by step; latency resolution 1 ms)`);
  console.log(`${'system'.padEnd(10)} ${'sockets'.padStart(7)} ${'KiB/sock'.padStart(9)} ${'offered/s'.padStart(9)} ${'deliv/s'.padStart(9)} ${'deliv'.padStart(8)} ${'p50'.padStart(5)} ${'p99'.padStart(5)} ${'max'.padStart(6)} ${'cpu'.padStart(6)} ${'sat/s'.padStart(9)}`);
  console.log(row('service', service));
  if (systems.includes('validating')) console.log(row('validating', validating));
  if (systems.includes('cluster')) console.log(row('cluster', agg('cluster')));
  if (systems.includes('cluster-variant')) console.log(row('cluster-v', agg('cluster-variant')));
  if (systems.includes('baseline')) console.log(row('bare ws', baseline));
  console.log(`saturation ratio service/baseline: ${(report.ratios.saturation * 100).toFixed(0)}% (target >= 80%)`);
  if (systems.includes('validating')) {
    console.log(`saturation ratio validating relay/baseline: ${(report.ratios.validatingSaturation * 100).toFixed(0)}% (the protocol's own cost: parse, validate, serialize); service/validating relay: ${(report.ratios.serviceToValidatingSaturation * 100).toFixed(0)}%`);
  }
  console.log(`RSS per idle authenticated socket: ${service.perSocketKiB.toFixed(1)} KiB (target <= 20 KiB; bare ws ${baseline.perSocketKiB.toFixed(1)} KiB)`);
  console.log(`nearest-10 among ${nearest.drivers} online drivers: p50 ${nearest.p50Ms.toFixed(4)} ms, p99 ${nearest.p99Ms.toFixed(4)} ms (target p99 < 0.2 ms); move p99 ${nearest.moveP99Ms.toFixed(4)} ms`);
  for (const system of systems) {
    for (const r of bySystem(system)) {
      console.log(`${system} run: ${r.saturation.map((s) => `${s.offeredPerS}/s -> ${s.deliveredPerS}/s p99 ${s.p99Ms} ms (server ${s.serverCpuPct}% CPU = ${s.serverCpuUsPerFix} us/fix (user ${s.serverUserUsPerFix}), generators ${s.generatorCpuPct}%)`).join('; ')}`);
    }
  }
  for (const [name, s] of systems.map((system) => [system, agg(system)])) {
    if (s.cpuUsPerFixByRate) console.log(`server CPU per delivered fix, ${name}: ${Object.entries(s.cpuUsPerFixByRate).map(([rate, us]) => `${rate}/s ${Math.round(us * 10) / 10} us`).join(', ')}`);
  }
  if (cluster) printCluster(cluster);
  if (systems.includes('cluster-variant')) {
    const settings = Object.entries(variantEnv).map(([k, v]) => `, ${k}=${v}`).join('');
    printCluster(clusterReport(bySystem('service'), bySystem('cluster-variant')), `cluster-variant (${variantDir}${settings})`);
  }
  for (const d of runs.died) console.log(`${d.system}: a process DIED (${d.died}); its figures stop there`);
  if (jsonOut) await writeFile(jsonOut, JSON.stringify(report, null, 2));
}

/** The steps (steady phase, then the climb) of one run at an offered rate, within 2 %. */
function stepsAt(run, rate) {
  return [run.steady, ...run.saturation].filter((s) => Math.abs(s.offeredPerS - rate) < rate * 0.02);
}

/**
 * Cluster vs single node, per offered rate (steady phase and climb steps alike): medians over the
 * rounds of CPU per delivered fix (cluster: both nodes + Redis), Redis commands per fix, p99.
 */
function clusterReport(serviceRuns, clusterRuns) {
  // The nominal rates: the steady phase (1 fix/s per driver) and the steps of the climb.
  const rates = [...new Set([pairs, ...steps])].sort((a, b) => a - b);
  const at = (runs, rate, pick) => median(runs.flatMap((r) => stepsAt(r, rate).map((s) => pick(s, r))).filter((v) => Number.isFinite(v)));
  // CPU per fix above the idle CPU of the same round: what one more fix costs.
  const marginal = (s, r) => (s.received === 0 ? NaN : ((s.serverCpuS - (r.idleCorePct / 100) * s.wallS) * 1e6) / s.received);
  const byRate = rates.map((rate) => {
    const service = { samples: serviceRuns.flatMap((r) => stepsAt(r, rate)).length, cpuUsPerFix: at(serviceRuns, rate, (s) => s.serverCpuUsPerFix), marginalUsPerFix: at(serviceRuns, rate, marginal), p99Ms: at(serviceRuns, rate, (s) => s.p99Ms), deliveredRatio: at(serviceRuns, rate, (s) => s.deliveredRatio) };
    const clusterSteps = clusterRuns.flatMap((r) => stepsAt(r, rate));
    // Per Redis command seen in any step's `field`: the median over the steps of `value`.
    const mediansByCommand = (field, value) =>
      Object.fromEntries([...new Set(clusterSteps.flatMap((s) => Object.keys(s[field] ?? {})))].map((c) => [c, at(clusterRuns, rate, (s) => value(s, c))]));
    const names = Object.keys(clusterSteps[0]?.cpuUsPerFixByProcess ?? {});
    const cluster = {
      samples: clusterSteps.length,
      cpuUsPerFix: at(clusterRuns, rate, (s) => s.serverCpuUsPerFix),
      marginalUsPerFix: at(clusterRuns, rate, marginal),
      cpuUsPerFixByProcess: Object.fromEntries(names.map((n) => [n, at(clusterRuns, rate, (s) => s.cpuUsPerFixByProcess?.[n])])),
      redisCommandsPerFix: at(clusterRuns, rate, (s) => s.redisCommandsPerFix),
      redisNetBytesPerFix: at(clusterRuns, rate, (s) => s.redisNetBytesPerFix),
      redisCommandsPerFixByName: mediansByCommand('redisCommandsByName', (s, c) => (s.redisCommandsByName?.[c] ?? 0) / s.sent),
      p99Ms: at(clusterRuns, rate, (s) => s.p99Ms),
      deliveredRatio: at(clusterRuns, rate, (s) => s.deliveredRatio),
    };
    // Per-process figures: the median of each process over the steps, summed over the processes.
    const summed = (runs, processNames, pick) => processNames.reduce((n, name) => n + at(runs, rate, (s) => pick(s, name)), 0);
    const syscalls = (runs, processNames) =>
      summed(runs, processNames, (s, name) => s.syscallsPerFixByProcess?.[name]?.reads) + summed(runs, processNames, (s, name) => s.syscallsPerFixByProcess?.[name]?.writes);
    service.syscallsPerFix = syscalls(serviceRuns, ['server']);
    cluster.syscallsPerFix = syscalls(clusterRuns, names);
    cluster.userUsPerFix = at(clusterRuns, rate, (s) => s.serverUserUsPerFix);
    service.userUsPerFix = at(serviceRuns, rate, (s) => s.serverUserUsPerFix);
    const byProcess = (field) => (s, name) => s[field]?.[name];
    service.switchesPerFix = summed(serviceRuns, ['server'], byProcess('switchesPerFixByProcess'));
    cluster.switchesPerFix = summed(clusterRuns, names, byProcess('switchesPerFixByProcess'));
    service.gcUsPerFix = summed(serviceRuns, ['server'], byProcess('gcUsPerFixByProcess'));
    cluster.gcUsPerFix = summed(clusterRuns, names.filter((n) => n !== 'redis'), byProcess('gcUsPerFixByProcess'));
    cluster.redisExecUsPerFixByName = mediansByCommand('redisExecUsPerFixByName', (s, c) => s.redisExecUsPerFixByName?.[c] ?? 0);
    return { rate, service, cluster, cpuRatio: cluster.cpuUsPerFix / service.cpuUsPerFix, marginalRatio: cluster.marginalUsPerFix / service.marginalUsPerFix };
  }).filter((r) => r.service.samples > 0 || r.cluster.samples > 0);
  return {
    rounds: clusterRuns.length,
    socketsByNode: clusterRuns[0]?.socketsByNode,
    perSocketKiBByNode: clusterRuns[0]?.perSocketKiBByNode.map((_, i) => median(clusterRuns.map((r) => r.perSocketKiBByNode[i]))),
    serviceSockets: serviceRuns[0]?.sockets,
    idleCorePct: { service: median(serviceRuns.map((r) => r.idleCorePct)), cluster: median(clusterRuns.map((r) => r.idleCorePct)) },
    servicePerSocketKiB: median(serviceRuns.map((r) => r.perSocketKiB)),
    byRate,
    at5000: byRate.find((r) => r.rate === 5_000),
  };
}

function printCluster(c, name = 'Cluster mode') {
  const f = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
  const placement = clusterSameNode ? 'each customer on the node of his driver (--cluster-same-node): no fix crosses nodes' : 'every fix crosses nodes: driver N on node N mod 2, its customer on the other';
  console.log(`\n${name}: ${c.socketsByNode?.length ?? 0} nodes + their own redis-server (${placement}); medians of ${c.rounds} round(s)`);
  console.log(`sockets held: cluster ${c.socketsByNode?.join(' + ')} (${c.perSocketKiBByNode?.map((k) => f(k)).join(' / ')} KiB/socket); single node ${c.serviceSockets} (${f(c.servicePerSocketKiB)} KiB/socket)`);
  console.log(`idle CPU (sockets connected, no fixes): single ${f(c.idleCorePct.service)} %, cluster ${f(c.idleCorePct.cluster)} % of a core; "above idle" = CPU per fix without it`);
  console.log(`${'fixes/s'.padStart(8)} ${'single us/fix'.padStart(13)} ${'cluster us/fix'.padStart(14)} ${'ratio'.padStart(6)} ${'above idle s/c'.padStart(15)} ${'ratio'.padStart(6)} ${'nodes+redis us/fix'.padStart(24)} ${'redis cmd/fix'.padStart(13)} ${'p99 single'.padStart(10)} ${'p99 cluster'.padStart(11)} ${'delivered'.padStart(10)}`);
  for (const r of c.byRate) {
    const parts = Object.entries(r.cluster.cpuUsPerFixByProcess).map(([, v]) => f(v)).join('+');
    console.log(`${String(r.rate).padStart(8)} ${f(r.service.cpuUsPerFix).padStart(13)} ${f(r.cluster.cpuUsPerFix).padStart(14)} ${f(r.cpuRatio, 2).padStart(6)} ${`${f(r.service.marginalUsPerFix)}/${f(r.cluster.marginalUsPerFix)}`.padStart(15)} ${f(r.marginalRatio, 2).padStart(6)} ${parts.padStart(24)} ${f(r.cluster.redisCommandsPerFix, 2).padStart(13)} ${String(r.service.p99Ms).padStart(10)} ${String(r.cluster.p99Ms).padStart(11)} ${`${f(r.service.deliveredRatio * 100, 1)}/${f(r.cluster.deliveredRatio * 100, 1)}%`.padStart(10)}`);
  }
  const at = c.at5000;
  if (at) {
    const cmds = Object.entries(at.cluster.redisCommandsPerFixByName).filter(([, v]) => v >= 0.005).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${f(v, 2)}`).join(', ');
    console.log(`at 5,000 fixes/s: user part of the CPU per fix: single ${f(at.service.userUsPerFix)}, cluster ${f(at.cluster.userUsPerFix)} us; system calls (read + write) per fix sent: single ${f(at.service.syscallsPerFix, 2)}, cluster (nodes + Redis) ${f(at.cluster.syscallsPerFix, 2)}`);
    const exec = Object.entries(at.cluster.redisExecUsPerFixByName).filter(([, v]) => v >= 0.05).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${f(v, 2)}`).join(', ');
    console.log(`at 5,000 fixes/s: context switches per fix sent: single ${f(at.service.switchesPerFix, 2)}, cluster (nodes + Redis) ${f(at.cluster.switchesPerFix, 2)}; GC per fix: single ${f(at.service.gcUsPerFix)}, cluster nodes ${f(at.cluster.gcUsPerFix)} us; Redis executing, per fix: ${exec} us (a script's time includes its inner commands)`);
    console.log(`at 5,000 fixes/s: Redis commands per fix sent ${f(at.cluster.redisCommandsPerFix, 2)} (${cmds}; inner commands of scripts included), ${f(at.cluster.redisNetBytesPerFix, 0)} bytes in + out of Redis per fix; cross-node p99 ${at.cluster.p99Ms} ms (target < 50 ms: ${at.cluster.p99Ms < 50 ? 'met' : 'NOT met'}); CPU per fix ${f(at.cpuRatio, 2)}x the single node's (target <= 1.5x: ${at.cpuRatio <= 1.5 ? 'met' : 'NOT met'}; above idle ${f(at.marginalRatio, 2)}x)`);
  } else {
    console.log('no step at 5,000 fixes/s: add 5000 to --rates (or --pairs 5000 for the steady phase)');
  }
}

main()
  .catch(async (error) => {
    log(`bench: failed: ${error.stack ?? error.message}`);
    await cleanup();
    process.exitCode = 1;
  })
  .finally(() => clearTimeout(hardStop));
