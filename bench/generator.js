/**
 * One load-generator process (forked by bench/run.js, pinned to its own core): holds a slice of
 * the driver/customer pairs, connects them through the real handshake, then on command sends
 * fixes at a given rate and measures driver -> customer latency from the `ts` each fix carries.
 * Talks to the orchestrator over IPC only; connects to 127.0.0.1 only.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { rawConnect } from './raw-ws.js';

/**
 * This generator's own event-loop delay during a run: a fix that arrives while the generator is
 * stalled (its GC, its core busy) is stamped late, so a stall here shows up as latency of the
 * system measured. Reported per step so such p99s can be told apart.
 */
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

const HIST_MAX_MS = 10_000;
let config;
let drivers = [];
let customers = [];
let measuring = false;
let runStart = 0;
let received = 0;
let hist = new Uint32Array(HIST_MAX_MS + 1);
let maxLatency = 0;
let acks = 0;
let errors = 0;

function onCustomerText(payload) {
  // Cheap scan instead of JSON.parse: what we need is the type and the ts.
  if (payload[2] === 0x74 && payload.indexOf('"ts":') !== -1 && payload.indexOf('ocation') !== -1) {
    if (!measuring) return;
    const i = payload.lastIndexOf('"ts":') + 5;
    let ts = 0;
    for (let j = i; j < payload.length; j++) {
      const c = payload[j];
      if (c < 0x30 || c > 0x39) break;
      ts = ts * 10 + (c - 0x30);
    }
    if (ts < runStart) return;
    const latency = Date.now() - ts;
    received += 1;
    hist[Math.min(HIST_MAX_MS, Math.max(0, latency))] += 1;
    if (latency > maxLatency) maxLatency = latency;
    return;
  }
  countAnswer(payload);
}

function countAnswer(payload) {
  const text = payload.subarray(0, 20).toString();
  if (text.startsWith('{"type":"ack"')) {
    acks += 1;
    if (inSetup) settleSetupAnswer(payload, true);
  } else if (text.startsWith('{"type":"error"')) {
    if (inSetup && settleSetupAnswer(payload, false)) return;
    errors += 1;
    if (errors < 5) process.stderr.write(`generator: error frame ${payload.toString().slice(0, 200)}\n`);
  }
}

/** Setup messages waiting for their answer, by message id. */
const setupPending = new Map();
let inSetup = false;
/** Answers that said "try again" (db_unavailable on a busy machine), re-sent after the hinted delay. */
let setupRetries = 0;
/** Setup messages in flight at most: a real fleet does not send 5,000 follows in one millisecond. */
const SETUP_WINDOW = 200;
const SETUP_ATTEMPTS = 4;

/** Returns true when the error was a retryable answer to a setup message (re-sent, not an error). */
function settleSetupAnswer(payload, ok) {
  let frame;
  try {
    frame = JSON.parse(payload.toString());
  } catch {
    return false;
  }
  const pending = frame && typeof frame.id === 'string' ? setupPending.get(frame.id) : undefined;
  if (!pending) return false;
  setupPending.delete(frame.id);
  const retryAfterS = frame.error?.details?.retryAfterS;
  if (!ok && typeof retryAfterS === 'number' && pending.attempts < SETUP_ATTEMPTS) {
    setupRetries += 1;
    setTimeout(() => {
      setupPending.set(pending.id, { ...pending, attempts: pending.attempts + 1 });
      pending.send();
    }, retryAfterS * 1000);
    return true;
  }
  pending.done();
  return false;
}

/** Runs `work` on every item, at most `concurrency` at a time, in order of the items. */
async function inPool(items, concurrency, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Sends every setup message, at most SETUP_WINDOW unanswered at a time, retrying "try again" answers. */
async function sendAllSetup(messages) {
  const answered = ({ id, send }) =>
    new Promise((resolve) => {
      setupPending.set(id, { id, send, attempts: 1, done: resolve });
      send();
    });
  const timeout = new Promise((resolve) => setTimeout(resolve, 60_000).unref());
  await Promise.race([inPool(messages, SETUP_WINDOW, answered), timeout]);
  setupPending.clear();
}

async function connectAll() {
  const { host, ports, relay, pairs, localAddresses = [], sameNode = false } = config;
  const jobs = [];
  let sourceTurn = 0;
  const nextSource = () => (localAddresses.length === 0 ? undefined : localAddresses[sourceTurn++ % localAddresses.length]);
  pairs.forEach((pair, i) => {
    const headersFor = (token) => (!relay ? { authorization: `Bearer ${token}` } : {});
    const pathFor = (role) => (!relay ? '/ws' : `/ws?pair=${pair.index}&role=${role}`);
    // One node: everyone on it. Several (cluster mode): driver N on node N mod k, its customer on the
    // next node, so every fix crosses nodes (driver on A -> customer on B, and the other way round);
    // with sameNode (--cluster-same-node), on the driver's node.
    const driverPort = ports[pair.index % ports.length];
    const customerPort = ports[(pair.index + (sameNode ? 0 : 1)) % ports.length];
    jobs.push(async () => {
      customers[i] = await rawConnect({ host, port: customerPort, path: pathFor('customer'), headers: headersFor(pair.customerToken), onText: onCustomerText, localAddress: nextSource() });
    });
    jobs.push(async () => {
      drivers[i] = await rawConnect({ host, port: driverPort, path: pathFor('driver'), headers: headersFor(pair.driverToken), onText: countAnswer, localAddress: nextSource() });
    });
  });
  let failures = 0;
  let retries = 0;
  // A refused handshake (e.g. 503 while the database is slow to hand out a connection on a busy
  // machine) is retried twice after a second, as a real client would; each retry is counted.
  await inPool(jobs, 50, async (job) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await job();
        return;
      } catch (error) {
        if (attempt < 2) {
          retries += 1;
          if (retries < 5) process.stderr.write(`generator: ${error.message} (retrying)\n`);
          await new Promise((r) => setTimeout(r, 1_000));
          continue;
        }
        failures += 1;
        if (failures < 5) process.stderr.write(`generator: ${error.message}\n`);
        return;
      }
    }
  });
  return { failures, retries };
}

async function setup() {
  if (config.relay) return;
  acks = 0;
  errors = 0;
  setupRetries = 0;
  inSetup = true;
  try {
    await sendAllSetup(
      config.pairs.flatMap((pair, i) => {
        const driver = drivers[i];
        if (!driver) return [];
        const lat = 24.8 + (i % 100) * 0.001;
        const lng = 67.0 + Math.floor(i / 100) * 0.001;
        return [{ id: `on-${i}`, send: () => driver.send(JSON.stringify({ type: 'driver.online', id: `on-${i}`, data: { lat, lng } })) }];
      }),
    );
    await sendAllSetup(
      config.pairs.flatMap((pair, i) => {
        const customer = customers[i];
        if (!customer) return [];
        return [{ id: `f-${i}`, send: () => customer.send(JSON.stringify({ type: 'driver.follow', id: `f-${i}`, data: { driverId: pair.driverId } })) }];
      }),
    );
  } finally {
    inSetup = false;
  }
}

async function run(ratePerDriver, durationMs) {
  received = 0;
  errors = 0;
  maxLatency = 0;
  hist = new Uint32Array(HIST_MAX_MS + 1);
  runStart = Date.now();
  loopDelay.reset();
  loopDelay.enable();
  measuring = true;
  const n = drivers.length;
  const total = Math.round(ratePerDriver * n * (durationMs / 1000));
  let sent = 0;
  let cursor = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      const due = Math.min(total, Math.floor(((now - runStart) / durationMs) * total));
      while (sent < due) {
        const i = cursor;
        cursor = (cursor + 1) % n;
        const lat = 24.8 + (i % 100) * 0.001 + (sent % 50) * 1e-5;
        drivers[i]?.send(`{"type":"location.update","data":{"lat":${lat.toFixed(6)},"lng":${(67 + Math.floor(i / 100) * 0.001).toFixed(6)},"ts":${now}}}`);
        sent += 1;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  // Let fixes in flight arrive (anything later than this is counted as not delivered).
  await new Promise((r) => setTimeout(r, 1_000));
  measuring = false;
  const buckets = [];
  hist.forEach((count, ms) => {
    if (count > 0) buckets.push([ms, count]);
  });
  loopDelay.disable();
  return { sent, received, buckets, maxLatency, errorFrames: errors, loopDelayMaxMs: Math.round(loopDelay.max / 1e6) };
}

// The orchestrator went away: stop (a benchmark never outlives its run).
process.on('disconnect', () => process.exit(0));

process.on('message', async (msg) => {
  try {
    if (msg.cmd === 'init') {
      config = msg.config;
      process.send({ type: 'init' });
    } else if (msg.cmd === 'connect') {
      const { failures, retries } = await connectAll();
      process.send({ type: 'connected', failures, retries });
    } else if (msg.cmd === 'setup') {
      await setup();
      process.send({ type: 'ready', acks, errors, retries: setupRetries });
    } else if (msg.cmd === 'run') {
      process.send({ type: 'result', ...(await run(msg.ratePerDriver, msg.durationMs)) });
    } else if (msg.cmd === 'status') {
      // Sockets still open and the pings each got (the sockets-held mode: heartbeats kept them alive).
      const sockets = [...drivers, ...customers].filter(Boolean);
      const open = sockets.filter((s) => !s.closed);
      // `mark`: pings from now on count as "since the mark" in the next status.
      if (msg.mark) for (const s of sockets) s.pingsAtMark = s.pings;
      process.send({
        type: 'status',
        sockets: sockets.length,
        open: open.length,
        closed: sockets.length - open.length,
        minPings: open.reduce((m, s) => Math.min(m, s.pings), Infinity),
        minPingsSinceMark: open.reduce((m, s) => Math.min(m, s.pings - (s.pingsAtMark ?? 0)), Infinity),
        totalPings: sockets.reduce((n, s) => n + s.pings, 0),
      });
    } else if (msg.cmd === 'close') {
      for (const s of [...drivers, ...customers]) s?.close();
      setTimeout(() => process.exit(0), 300);
      process.send({ type: 'closed' });
    }
  } catch (error) {
    process.send({ type: 'failed', message: error.message });
  }
});
