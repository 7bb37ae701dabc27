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
 * 4. Everything is stopped and the database dropped, whatever happens. Bounded in time.
 */
import { fork, execFileSync } from 'node:child_process';
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
const pairs = Number(option('pairs', quick ? 2_500 : 5_000));
const generatorCount = Number(option('generators', 2));
const steadyMs = Number(option('steady-s', quick ? 5 : 20)) * 1000;
const stepMs = Number(option('step-s', quick ? 3 : 6)) * 1000;
const rounds = Number(option('rounds', quick ? 1 : 2));
const steps = (option('rates', quick ? '10000,20000,30000,40000,50000' : '10000,15000,20000,25000,30000,35000,40000,45000,50000,55000,60000')).split(',').map(Number);
const serverCpu = option('server-cpu', '0');
const generatorCpu = option('generator-cpu', '1');
const adminUrl = option('database', 'postgres://postgres@127.0.0.1:5432/postgres');
const jsonOut = option('json', undefined);
/** service: the real server; validating: bare relay + shared parse/validate/serialize; baseline: bare `ws` relay. */
const systems = option('systems', 'service,validating,baseline').split(',');
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
/** --server-wrapper "CMD ARGS": start the server under CMD (e.g. valgrind --tool=callgrind); diagnosis only. */
const serverWrapper = (option('server-wrapper', '') ?? '').split(' ').filter(Boolean);
const HARD_LIMIT_MS = Number(option('time-limit-s', quick ? 180 : 900)) * 1000;

const log = (message) => process.stderr.write(`${message}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const hardStop = setTimeout(() => {
  log(`bench: time limit of ${HARD_LIMIT_MS / 1000} s reached, stopping`);
  void cleanup().finally(() => process.exit(2));
}, HARD_LIMIT_MS);
hardStop.unref();

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

async function startServer(system, port, ctx) {
  const script = {
    service: `${root}server-realtime/dist/main.js`,
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
  };
  const child = fork(script, RELAYS.has(system) ? [String(port)] : [], {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: priority,
    ...(serverWrapper.length > 0 ? { execPath: serverWrapper[0] } : {}),
    execArgv: [...serverWrapper.slice(1), ...(serverWrapper.length > 0 ? [process.execPath] : []), ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...serverNodeArgs],
  });
  children.add(child);
  pin(child.pid, serverCpu);
  await waitForPort(port);
  log(`bench: ${system}: server pid ${child.pid}`);
  return child;
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

/** Systems that speak the relay protocol (`?pair=N&role=...`, no tokens, no setup messages). */
const RELAYS = new Set(['baseline', 'validating']);

/**
 * Starts one system and its generators, connects every socket through the handshake and measures
 * idle RSS per socket. Returns a handle: info (what the set-up measured), measure() runs one load
 * step, close() stops it all.
 */
async function openSystem(system, ctx) {
  const port = await freePort();
  log(`bench: ${system}: starting on 127.0.0.1:${port} (CPU ${serverCpu})`);
  const server = await startServer(system, port, ctx);
  const generators = [];
  const close = async () => {
    await Promise.all(generators.map((g) => ask(g, { cmd: 'close' }, 'closed').catch(() => {})));
    await sleep(500);
    for (const g of generators) {
      g.kill('SIGKILL');
      children.delete(g);
    }
    await stopChild(server);
  };
  try {
    await sleep(1_000);
    const rssBefore = rssBytes(server.pid);
    const slice = Math.ceil(ctx.pairList.length / generatorCount);
    for (let g = 0; g < generatorCount; g++) {
      const child = fork(`${root}bench/generator.js`, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: priority });
      children.add(child);
      pin(child.pid, generatorCpu);
      const config = { relay: RELAYS.has(system), host: '127.0.0.1', port, pairs: ctx.pairList.slice(g * slice, (g + 1) * slice) };
      await ask(child, { cmd: 'init', config }, 'init');
      generators.push(child);
    }
    const t0 = Date.now();
    const connected = await Promise.all(generators.map((g) => ask(g, { cmd: 'connect' }, 'connected')));
    const failures = connected.reduce((n, r) => n + r.failures, 0);
    const connectS = (Date.now() - t0) / 1000;
    const ready = await Promise.all(generators.map((g) => ask(g, { cmd: 'setup' }, 'ready')));
    const setupErrors = ready.reduce((n, r) => n + r.errors, 0);
    await sleep(3_000);
    const sockets = ctx.pairList.length * 2 - failures;
    const rssIdle = rssBytes(server.pid);
    const perSocketKiB = (rssIdle - rssBefore) / sockets / 1024;
    log(`bench: ${system}: ${sockets} sockets in ${connectS.toFixed(1)} s (${failures} failed, ${setupErrors} setup errors); RSS ${(rssBefore / 2 ** 20).toFixed(0)} -> ${(rssIdle / 2 ** 20).toFixed(0)} MiB = ${perSocketKiB.toFixed(1)} KiB/socket`);

    const measure = async (ratePerDriver, durationMs) => {
      const split0 = cpuSplit(server.pid);
      const cpu0 = split0.user + split0.system;
      const gcpu0 = generators.map((g) => cpuSeconds(g.pid));
      const results = await Promise.all(generators.map((g) => ask(g, { cmd: 'run', ratePerDriver, durationMs }, 'result')));
      const wallS = durationMs / 1000 + 1;
      const summary = summarize(results, durationMs);
      const serverCpuS = cpuSeconds(server.pid) - cpu0;
      summary.serverCpuPct = Math.round((serverCpuS / wallS) * 100);
      // CPU (user + system) of the server per fix delivered: what the saturation ratio follows
      // (docs/performance.md); softirq time of the loopback is not in it.
      summary.serverCpuUsPerFix = summary.received === 0 ? NaN : Math.round((serverCpuS * 1e6) / summary.received * 10) / 10;
      const split1 = cpuSplit(server.pid);
      summary.serverUserUsPerFix = summary.received === 0 ? NaN : Math.round(((split1.user - split0.user) * 1e6) / summary.received * 10) / 10;
      summary.generatorCpuPct = Math.round((generators.reduce((s, g, i) => s + cpuSeconds(g.pid) - gcpu0[i], 0) / wallS) * 100);
      // Other work on the machine shows up as latency: record how busy it was.
      summary.loadAvg1 = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
      return summary;
    };
    const info = { system, sockets, connectS, failures, setupErrors, rssBeforeMiB: rssBefore / 2 ** 20, rssIdleMiB: rssIdle / 2 ** 20, perSocketKiB };
    return { system, info, measure, close };
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
    const inTurns = (list) => (turn++ % 2 === 0 ? list : [...list].reverse());
    for (let round = 0; round < rounds; round++) {
      const steady = new Map();
      for (const h of inTurns(handles)) {
        steady.set(h, await h.measure(1, steadyMs));
        log(`bench: ${h.system}: round ${round + 1}: steady 1 fix/s/driver: ${JSON.stringify(steady.get(h))}`);
        await sleep(1_000);
      }
      const climbs = new Map(handles.map((h) => [h, []]));
      const climbing = new Set(handles);
      const missesInARow = new Map(handles.map((h) => [h, 0]));
      for (const rate of steps) {
        for (const h of inTurns(handles)) {
          if (!climbing.has(h)) continue;
          const step = await h.measure(rate / ctx.pairList.length, stepMs);
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
        runs.push({ ...h.info, round, steady: steady.get(h), saturation: climbs.get(h), saturationPerS: saturationOf(climbs.get(h)) });
      }
    }
  } finally {
    for (const h of handles) await h.close();
  }
  return runs;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main() {
  log(`bench: ${quick ? 'quick' : 'full'} mode${priority ? ' (--priority)' : ''}, ${pairs} drivers + ${pairs} customers, ${generatorCount} generator process(es), ${rounds} round(s)`);
  const nearest = benchNearest();
  log(`bench: nearest-10 among ${nearest.drivers} drivers: p50 ${nearest.p50Ms.toFixed(4)} ms, p99 ${nearest.p99Ms.toFixed(4)} ms`);
  const ctx = await prepareDatabase();
  const runs = await runInterleaved(ctx);
  await cleanup();

  const bySystem = (system) => runs.filter((r) => r.system === system);
  const agg = (system) => {
    const rs = bySystem(system);
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
    };
  };
  const empty = { runs: 0, sockets: 0, perSocketKiB: NaN, steadyOfferedPerS: 0, steadyDeliveredPerS: 0, steadyDeliveredRatio: 0, steadyP50Ms: NaN, steadyP99Ms: NaN, steadyMaxMs: NaN, steadyServerCpuPct: NaN, saturationPerS: NaN };
  const service = systems.includes('service') ? agg('service') : empty;
  const baseline = systems.includes('baseline') ? agg('baseline') : empty;
  const validating = systems.includes('validating') ? agg('validating') : empty;
  const report = {
    mode: quick ? 'quick' : 'full',
    pairs,
    nearest,
    service,
    validating,
    baseline,
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
  console.log(row('bare ws', baseline));
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
  if (jsonOut) await writeFile(jsonOut, JSON.stringify(report, null, 2));
}

main()
  .catch(async (error) => {
    log(`bench: failed: ${error.stack ?? error.message}`);
    await cleanup();
    process.exitCode = 1;
  })
  .finally(() => clearTimeout(hardStop));
