// Throughput/latency of whole rides: simulated drivers and customers haggling over real sockets
// against the real realtime service (in this process) and a fresh PostgreSQL database.
// Needs a build (`npx tsc -b`). Run: DRIVERS=200 CUSTOMERS=50 RIDES_EACH=4 node server-realtime/test/rides/bench/ride-throughput.mjs
// Clients and server share this process: processCpuS and rssMiB cover both.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { migrateUp } from '@drivrr/migrations';
import { generateSigningKeys, signAccessToken, moveM, KARACHI_CENTER } from '@drivrr/shared';
import { silentLogger } from '@drivrr/shared/logger';
import { loadRealtimeConfig, startRealtimeServer } from '@drivrr/server-realtime';

const DRIVERS = Number(process.env.DRIVERS ?? 200), CUSTOMERS = Number(process.env.CUSTOMERS ?? 50), RIDES_EACH = Number(process.env.RIDES_EACH ?? 4);
const name = `drivrr_bench_${randomBytes(4).toString('hex')}`;
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect(); await admin.query(`CREATE DATABASE ${name}`);
const dbUrl = new URL(adminUrl); dbUrl.pathname = `/${name}`; const url = dbUrl.toString();
await migrateUp({ databaseUrl: url });
const db = new pg.Pool({ connectionString: url, max: 4 });
db.on('error', () => {});
const keys = generateSigningKeys();
const server = await startRealtimeServer(loadRealtimeConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: url, JWT_PUBLIC_KEY: keys.publicKeyPem, REALTIME_HOST: '127.0.0.1', REALTIME_PORT: '0', MATCH_STEP_MS: '1000', WS_RATE_PER_S: '1000', WS_RATE_BURST: '1000' }), { logger: silentLogger });

let n = 0;
async function user(role) {
  n += 1;
  const { rows } = await db.query(`INSERT INTO users (phone, role, name) VALUES ($1, $2, $3) RETURNING id`, [`+92302${String(n).padStart(7, '0')}`, role, `${role} ${n}`]);
  if (role === 'driver') await db.query(`INSERT INTO vehicles (driver_id, make, model, color, plate, type) VALUES ($1,'Suzuki','Alto','White',$2,'car')`, [rows[0].id, `B-${n}`]);
  return { id: rows[0].id, token: signAccessToken({ sub: rows[0].id, role }, { privateKey: keys.privateKeyPem, kid: keys.kid }).token };
}
let seq = 0;
function client(token, onPush) {
  const ws = new WebSocket(server.wsUrl, { headers: { authorization: `Bearer ${token}` } });
  const pending = new Map();
  ws.on('message', (raw) => {
    const f = JSON.parse(raw.toString());
    if (f.id && pending.has(f.id)) { const p = pending.get(f.id); pending.delete(f.id); f.type === 'error' ? p.reject(Object.assign(new Error(f.error.code), { code: f.error.code })) : p.resolve(f.data); return; }
    onPush(f);
  });
  const req = (type, data) => new Promise((resolve, reject) => { const id = `m${++seq}`; pending.set(id, { resolve, reject }); ws.send(JSON.stringify({ type, id, data })); });
  return new Promise((resolve) => ws.once('open', () => resolve({ ws, req })));
}
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]) : null; };

const drivers = [];
for (let i = 0; i < DRIVERS; i += 1) {
  const u = await user('driver');
  const d = { u, busy: false };
  d.c = await client(u.token, (f) => {
    if (f.type === 'ride.requested' && !d.busy) d.c.req('bid.place', { rideId: f.data.ride.id, fare: f.data.ride.fare + (i % 3) * 1000 }).catch(() => {});
    if (f.type === 'ride.assigned') {
      d.busy = true;
      const rideId = f.data.ride.id;
      (async () => { for (const t of ['ride.arrived', 'ride.start', 'ride.complete']) await d.c.req(t, { rideId }); d.busy = false; })().catch((e) => errors.push(e.code ?? String(e)));
    }
  });
  await d.c.req('driver.online', moveM(KARACHI_CENTER, (i * 137) % 360, 200 + ((i * 7919) % 4000)));
  drivers.push(d);
}
const refusedAccepts = {}; const errors = [], requestAck = [], firstBid = [], acceptAck = [], toCompleted = [];
const cpu0 = process.cpuUsage(); const t0 = performance.now();
await Promise.all(Array.from({ length: CUSTOMERS }, async (_, k) => {
  const u = await user('customer');
  const frames = [];
  let waiter = null;
  const c = await client(u.token, (f) => { frames.push(f); if (waiter && waiter.match(f)) { const w = waiter; waiter = null; w.resolve(f); } });
  const next = (match) => { const hit = frames.find(match); return hit ? Promise.resolve(hit) : new Promise((resolve) => (waiter = { match, resolve })); };
  for (let r = 0; r < RIDES_EACH; r += 1) {
    const pickup = moveM(KARACHI_CENTER, (k * 53 + r * 11) % 360, 500 + ((k * 31 + r) % 2500));
    const start = performance.now();
    let ack;
    try { ack = await c.req('ride.request', { pickup, dropoff: moveM(pickup, 90, 5000), fare: 50000, paymentMethod: 'cash' }); } catch (e) { errors.push(e.code); continue; }
    requestAck.push(performance.now() - start);
    let assigned = false;
    const tried = new Set();
    while (!assigned) {
      // the oldest bid of this ride not tried yet (a bid may be withdrawn when its driver is taken elsewhere)
      const bid = await next((f) => f.type === 'bid.received' && f.data.rideId === ack.rideId && !tried.has(f.data.bid.id));
      tried.add(bid.data.bid.id);
      if (tried.size === 1) firstBid.push(performance.now() - start);
      const a0 = performance.now();
      try { await c.req('bid.accept', { rideId: ack.rideId, bidId: bid.data.bid.id }); assigned = true; acceptAck.push(performance.now() - a0); }
      catch (e) { refusedAccepts[e.code] = (refusedAccepts[e.code] ?? 0) + 1; }
    }
    await next((f) => f.type === 'ride.status' && f.data.rideId === ack.rideId && f.data.status === 'completed');
    toCompleted.push(performance.now() - start);
  }
  c.ws.close();
}));
const wall = (performance.now() - t0) / 1000; const cpu = process.cpuUsage(cpu0);
const counts = await db.query(`SELECT status, count(*)::int AS n FROM rides GROUP BY status`);
const bids = await db.query(`SELECT count(*)::int AS n FROM bids`);
const sum = await db.query(`SELECT coalesce(sum(amount),0)::bigint AS s FROM ledger_entries`); await new Promise((r) => setTimeout(r, 1500)); const dl = await db.query(`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`);
console.log(JSON.stringify({ drivers: DRIVERS, customers: CUSTOMERS, ridesCompleted: toCompleted.length, wallS: +wall.toFixed(1), ridesPerS: +(toCompleted.length / wall).toFixed(1), bids: bids.rows[0].n,
  requestAckMs: { p50: pct(requestAck, 50), p95: pct(requestAck, 95) }, firstBidMs: { p50: pct(firstBid, 50), p95: pct(firstBid, 95) }, acceptAckMs: { p50: pct(acceptAck, 50), p95: pct(acceptAck, 95) },
  requestToCompletedMs: { p50: pct(toCompleted, 50), p95: pct(toCompleted, 95) }, errors, refusedAccepts, statuses: counts.rows, ledgerSum: Number(sum.rows[0].s), deadlocks: Number(dl.rows[0].deadlocks), loadavg: (await import("node:os")).loadavg()[0], processCpuS: +((cpu.user + cpu.system) / 1e6).toFixed(1), rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) }, null, 1));
for (const d of drivers) d.c.ws.close();
await server.stop(); await db.end(); admin.on('error', () => {}); await admin.query(`DROP DATABASE ${name} WITH (FORCE)`); await admin.end();
