/**
 * The Redis side of cluster mode: the two connections of a node (commands, and a subscriber that
 * ioredis re-subscribes after every reconnect), the key names under REDIS_PREFIX, and the Lua
 * scripts that make each cross-node transition atomic (one node owns it).
 *
 * Keys and channels (P = REDIS_PREFIX, default `drivrr:`):
 * - `P nodes`            hash nodeId -> JSON {id, url, connections, lastSeenAt}: the registry.
 * - `P u:<node>`         hash userId -> connectedAt (ms): who is connected to that node.
 * - `P follows`          hash "<follower>|<driver>" -> 'client' | 'module': live-location follows.
 * - `P geo`              GEO set of online drivers (every activity; filtered after the query).
 * - `P d:<driver>`       hash: the driver's presence but its position (presence.ts, presenceFields) and owning node.
 * - `P pos`              hash driverId -> `lng|lat|heading|updatedAt`: every online driver's position
 *                        (one hash for all, so a presence flush is one HSET, not one per driver).
 * - `P nd:<node>`        set of the drivers a node owns (swept when the node dies).
 * - `P grace`            zset driverId -> grace deadline (ms), for drivers of dead nodes only.
 * - `P r:<user>:<msgid>` string: a message receipt ('' while the first is being handled, then its answer).
 * - channel `P bus`      broadcast: connections, follows.
 * - channel `P n:<node>` addressed to one node: frames and locations for its sockets.
 */
import { Redis, type RedisOptions } from 'ioredis';

export interface ClusterKeys {
  nodes: string;
  users(nodeId: string): string;
  follows: string;
  geo: string;
  driver(driverId: string): string;
  positions: string;
  nodeDrivers(nodeId: string): string;
  grace: string;
  receipt(userId: string, messageId: string): string;
  bus: string;
  nodeChannel(nodeId: string): string;
}

export function clusterKeys(prefix: string): ClusterKeys {
  return {
    nodes: `${prefix}nodes`,
    users: (nodeId) => `${prefix}u:${nodeId}`,
    follows: `${prefix}follows`,
    geo: `${prefix}geo`,
    driver: (driverId) => `${prefix}d:${driverId}`,
    positions: `${prefix}pos`,
    nodeDrivers: (nodeId) => `${prefix}nd:${nodeId}`,
    grace: `${prefix}grace`,
    receipt: (userId, messageId) => `${prefix}r:${userId}:${messageId}`,
    bus: `${prefix}bus`,
    nodeChannel: (nodeId) => `${prefix}n:${nodeId}`,
  };
}

/**
 * Lua scripts. KEYS/ARGV are documented per script; every script touches only keys under the prefix
 * (passed in ARGV[1] where keys are built inside the script).
 */
const scripts = {
  /**
   * The pending fixes (presence.ts, CLUSTER_PRESENCE_FLUSH_MS) of drivers this node owns: one
   * SMISMEMBER of its set of drivers, then one HSET of their positions and one GEOADD, only for the
   * drivers this node still owns (a swept or taken-over driver must not come back from a late
   * write). Three commands per call, whatever the number of fixes: a command per driver cost Redis
   * more than the rest of the script (docs/performance.md, "Cluster mode").
   * KEYS: geo, pos, nd:<me>. ARGV: the fixes as one string of lines `id|lng|lat|heading|updatedAt\n`
   * (fixFieldsLine in presence.ts): one argument instead of five per fix keeps the node's command
   * small. The position replaces the stored one whole: heading '' means none known (the owner's copy
   * keeps a driver's heading across fixes without one, so it sends the one it has).
   */
  driverFixes: {
    numberOfKeys: 3,
    lua: `
local ids, positions, lngs, lats = {}, {}, {}, {}
local n = 0
for id, position, lng, lat in string.gmatch(ARGV[1], '([^|]*)|(([^|]*)|([^|]*)|[^\\n]*)\\n') do
  n = n + 1
  ids[n] = id
  positions[n] = position
  lngs[n] = lng
  lats[n] = lat
end
if n == 0 then return 0 end
local owned = redis.call('SMISMEMBER', KEYS[3], unpack(ids))
local geo, pos = {}, {}
local g, p = 0, 0
for i = 1, n do
  if owned[i] == 1 then
    geo[g + 1] = lngs[i]
    geo[g + 2] = lats[i]
    geo[g + 3] = ids[i]
    g = g + 3
    pos[p + 1] = ids[i]
    pos[p + 2] = positions[i]
    p = p + 2
  end
end
if g == 0 then return 0 end
redis.call('GEOADD', KEYS[1], unpack(geo))
redis.call('HSET', KEYS[2], unpack(pos))
return g / 3`,
  },
  /**
   * driver.online (or a background fix) on this node: takes the driver over from whichever node had
   * it (returned, so that node can drop its copy), writes every field, keeps an activity already set.
   * KEYS: geo, d:<id>, nd:<me>, grace, pos. ARGV: prefix, id, me, lng, lat, position, then field/value
   * pairs, with 'activity' last (kept when present).
   */
  driverOnline: {
    numberOfKeys: 5,
    lua: `
local previous = redis.call('HGET', KEYS[2], 'node')
if previous and previous ~= '' and previous ~= ARGV[3] then
  redis.call('SREM', ARGV[1] .. 'nd:' .. previous, ARGV[2])
end
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('GEOADD', KEYS[1], ARGV[4], ARGV[5], ARGV[2])
redis.call('HSET', KEYS[5], ARGV[2], ARGV[6])
local n = #ARGV
for i = 7, n - 2, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('HSETNX', KEYS[2], ARGV[n - 1], ARGV[n])
return previous or ''`,
  },
  /**
   * A background fix (POST /api/locations) for a driver whose live owner may be elsewhere: moves the
   * driver; takes ownership only when nobody holds the socket (owner in grace, orphaned, or absent).
   * KEYS: geo, d:<id>, nd:<me>, grace, pos. ARGV: prefix, id, me, lng, lat, heading ('' = keep), updatedAt, graceUntil.
   * Returns 'own' when this node now owns the driver, 'moved' when another live owner keeps it.
   */
  driverBackground: {
    numberOfKeys: 5,
    lua: `
local owner = redis.call('HGET', KEYS[2], 'node')
local grace = tonumber(redis.call('HGET', KEYS[2], 'grace') or '0')
local heading = ARGV[6]
if heading == '' then
  local stored = redis.call('HGET', KEYS[5], ARGV[2])
  heading = stored and string.match(stored, '^[^|]*|[^|]*|([^|]*)|') or ''
end
redis.call('GEOADD', KEYS[1], ARGV[4], ARGV[5], ARGV[2])
redis.call('HSET', KEYS[5], ARGV[2], ARGV[4] .. '|' .. ARGV[5] .. '|' .. heading .. '|' .. ARGV[7])
if owner and owner ~= '' and owner ~= ARGV[3] and grace == 0 then return 'moved' end
if owner and owner ~= '' and owner ~= ARGV[3] then redis.call('SREM', ARGV[1] .. 'nd:' .. owner, ARGV[2]) end
if not owner then redis.call('HSET', KEYS[2], 'activity', 'on_ride', 'bg', '1') end
redis.call('HSET', KEYS[2], 'node', ARGV[3], 'grace', ARGV[8])
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2])
return 'own'`,
  },
  /**
   * A driver's socket opened on this node: if the driver is online anywhere (in a grace, or live on
   * another node being replaced), this node takes it over with its state. Returns the fields as a
   * flat list (with 'previousNode' and 'position'), or an empty list when the driver is not online.
   * KEYS: d:<id>, nd:<me>, grace, pos. ARGV: prefix, id, me.
   */
  driverClaim: {
    numberOfKeys: 4,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local previous = redis.call('HGET', KEYS[1], 'node') or ''
if previous ~= '' and previous ~= ARGV[3] then redis.call('SREM', ARGV[1] .. 'nd:' .. previous, ARGV[2]) end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('HSET', KEYS[1], 'node', ARGV[3], 'grace', '0', 'bg', '0')
local fields = redis.call('HGETALL', KEYS[1])
table.insert(fields, 'previousNode')
table.insert(fields, previous)
local position = redis.call('HGET', KEYS[4], ARGV[2])
if position then
  table.insert(fields, 'position')
  table.insert(fields, position)
end
return fields`,
  },
  /** The socket of a driver this node owns closed: the grace deadline, visible to all. KEYS: d:<id>. ARGV: me, graceUntil. */
  driverGrace: {
    numberOfKeys: 1,
    lua: `
if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'grace', ARGV[2])
return 1`,
  },
  /**
   * Ends a driver's presence when this node owns the transition: 'offline' (driver.offline) needs
   * this node to own the driver; 'grace' also needs the grace still running (a reconnect elsewhere
   * cleared it). Returns 1 when this call ended it (the caller announces the driver offline).
   * KEYS: geo, d:<id>, nd:<me>, grace, pos. ARGV: id, me, reason.
   */
  driverEnd: {
    numberOfKeys: 5,
    lua: `
if redis.call('HGET', KEYS[2], 'node') ~= ARGV[2] then return 0 end
if ARGV[3] == 'grace' and tonumber(redis.call('HGET', KEYS[2], 'grace') or '0') == 0 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1`,
  },
  /**
   * setActivity from any node: written when the driver is online; returns the owning node (so the
   * owner's copy can follow) or false. KEYS: d:<id>. ARGV: activity.
   */
  driverActivity: {
    numberOfKeys: 1,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], 'activity', ARGV[1])
return redis.call('HGET', KEYS[1], 'node')`,
  },
  /**
   * A node died (not seen since before ARGV[3]): its drivers get the grace from now, its
   * connections and registry entry go. Only the first node to run it for that node does anything.
   * KEYS: nodes, grace. ARGV: prefix, deadNode, deadBefore, graceUntil.
   * Returns the number of drivers orphaned, or -1 when the node is not (or no longer) dead.
   */
  orphanNode: {
    numberOfKeys: 2,
    lua: `
local entry = redis.call('HGET', KEYS[1], ARGV[2])
if not entry then return -1 end
local ok, parsed = pcall(cjson.decode, entry)
if ok and type(parsed) == 'table' and tonumber(parsed.lastSeenAt or 0) >= tonumber(ARGV[3]) then return -1 end
local set = ARGV[1] .. 'nd:' .. ARGV[2]
local drivers = redis.call('SMEMBERS', set)
local n = 0
for _, id in ipairs(drivers) do
  local key = ARGV[1] .. 'd:' .. id
  if redis.call('HGET', key, 'node') == ARGV[2] then
    redis.call('HSET', key, 'node', '', 'grace', ARGV[4])
    redis.call('ZADD', KEYS[2], ARGV[4], id)
    n = n + 1
  end
end
redis.call('DEL', set, ARGV[1] .. 'u:' .. ARGV[2])
redis.call('HDEL', KEYS[1], ARGV[2])
return n`,
  },
  /**
   * Orphaned drivers (of dead nodes) whose grace ran out leave the index; returns their ids, each
   * to exactly one caller. KEYS: geo, grace, pos. ARGV: prefix, now.
   */
  sweepGrace: {
    numberOfKeys: 3,
    lua: `
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, 500)
local ended = {}
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[2], id)
  local key = ARGV[1] .. 'd:' .. id
  local grace = tonumber(redis.call('HGET', key, 'grace') or '0')
  if redis.call('HGET', key, 'node') == '' and grace > 0 and grace <= tonumber(ARGV[2]) then
    redis.call('DEL', key)
    redis.call('HDEL', KEYS[3], id)
    redis.call('ZREM', KEYS[1], id)
    table.insert(ended, id)
  end
end
return ended`,
  },
} as const;

export type ScriptName = keyof typeof scripts;

/** The command connection with the scripts defined on it (EVALSHA, falling back to EVAL once). */
export type ClusterRedis = Redis & {
  [K in ScriptName]: (...args: (string | number | Buffer)[]) => Promise<unknown>;
};

const RETRY_CAP_MS = 1_000;

function baseOptions(): RedisOptions {
  return {
    // Reconnect for ever, quickly: a node recovers by itself once Redis is back.
    retryStrategy: (times) => Math.min(50 * times, RETRY_CAP_MS),
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    lazyConnect: true,
  };
}

/**
 * The command connection. No offline queue: while Redis is away a write fails at once (counted,
 * logged) instead of piling up one queued command per fix; a reconnect re-writes this node's state.
 * No auto-pipelining: the hot paths batch by themselves (one PUBLISH per node per location window,
 * one script call per presence flush), and ioredis's per-turn Pipeline objects and command strings
 * lived until Redis answered, long enough to be promoted: they were over half of what a node
 * promoted to the old generation at 5,000 fixes/s, and so of its major-GC stalls
 * (docs/performance.md, "Cluster mode").
 */
export function createCommandClient(url: string): ClusterRedis {
  const client = new Redis(url, { ...baseOptions(), enableOfflineQueue: false, enableAutoPipelining: false, connectionName: 'drivrr-realtime' });
  for (const [name, script] of Object.entries(scripts)) client.defineCommand(name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  return client as ClusterRedis;
}

/** The subscriber connection: ioredis re-subscribes its channels after every reconnect (autoResubscribe). */
export function createSubscriberClient(url: string): Redis {
  return new Redis(url, { ...baseOptions(), autoResubscribe: true, connectionName: 'drivrr-realtime-sub' });
}

/** Deletes every key under `prefix` (tests, `drivrr down`): SCAN + UNLINK, never KEYS. */
export async function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
