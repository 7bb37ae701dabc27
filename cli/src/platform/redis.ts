/**
 * The Redis of a `drivrr up --realtime-workers N` stack: REDIS_URL when set, else a local Redis at
 * 127.0.0.1:6379 when one answers PING; and a key prefix per stack, so that two stacks (two
 * DRIVRR_HOMEs) on one Redis never see each other's keys and channels.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { CliError } from '../output.js';
import { redactUrl } from './stack.js';

export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

export interface StackRedis {
  url: string;
  /** Where the URL came from: the user's REDIS_URL, or the local Redis that answered. */
  source: 'REDIS_URL' | 'local';
  prefix: string;
  /** True when the prefix is this stack's own (not the user's REDIS_PREFIX): `drivrr up` may clear its keys. */
  ownPrefix: boolean;
}

/**
 * One connection that gives up at once instead of retrying: a probe, not a client to keep. The
 * socket's own error (ECONNREFUSED, ETIMEDOUT...) arrives as an 'error' event, while connect()
 * rejects with a bare "Connection is closed": `lastError()` keeps the telling one.
 */
function probeClient(url: string, timeoutMs: number): { client: Redis; lastError: () => Error | undefined } {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  let last: Error | undefined;
  client.on('error', (error: Error) => (last = error));
  return { client, lastError: () => last };
}

function reasonOf(error: unknown): string {
  const err = error as NodeJS.ErrnoException;
  if (err.code === 'ECONNREFUSED') return 'connection refused';
  if (err.code === 'ETIMEDOUT') return 'no answer (timed out)';
  return err.message || err.code || 'no answer';
}

/** Resolves when `url` answers PING; rejects with the reason (refused, timeout, auth...) otherwise. */
export async function pingRedis(url: string, timeoutMs = 2_000): Promise<void> {
  const { client, lastError } = probeClient(url, timeoutMs);
  try {
    await client.connect();
    const answer = await client.ping();
    if (answer !== 'PONG') throw new Error(`PING answered "${answer}"`);
  } catch (error) {
    throw new Error(reasonOf(lastError() ?? error));
  } finally {
    client.disconnect();
  }
}

/** `drivrr:<10 hex of the stack's home>:`: stable across restarts of one stack, different between stacks. */
export function stackRedisPrefix(home: string): string {
  return `drivrr:${createHash('sha256').update(home).digest('hex').slice(0, 10)}:`;
}

export async function resolveStackRedis(env: NodeJS.ProcessEnv, home: string, localUrl = LOCAL_REDIS_URL): Promise<StackRedis> {
  const prefix = env.REDIS_PREFIX || stackRedisPrefix(home);
  const ownPrefix = !env.REDIS_PREFIX;
  if (env.REDIS_URL) {
    try {
      await pingRedis(env.REDIS_URL);
    } catch (error) {
      throw new CliError(`several realtime workers need Redis: REDIS_URL (${redactUrl(env.REDIS_URL)}) does not answer PING: ${(error as Error).message}`);
    }
    return { url: env.REDIS_URL, source: 'REDIS_URL', prefix, ownPrefix };
  }
  try {
    await pingRedis(localUrl);
  } catch (error) {
    throw new CliError(
      `several realtime workers need Redis: REDIS_URL is not set and no Redis answers at ${localUrl} (${(error as Error).message}); ` +
        'start one (redis-server) or set REDIS_URL, or run one worker (--realtime-workers 1)',
    );
  }
  return { url: localUrl, source: 'local', prefix, ownPrefix };
}

/**
 * Deletes every key under `prefix` (SCAN + UNLINK, never KEYS on a shared Redis). Returns how many.
 * Only for a prefix that belongs to one stack: what a realtime cluster keeps in Redis (registry,
 * presence, follows, receipts) describes live processes, and the stack's nodes are all stopped.
 */
export async function clearRedisPrefix(url: string, prefix: string): Promise<number> {
  if (!/^[A-Za-z0-9:_.-]+:$/.test(prefix)) throw new Error(`refusing to clear Redis keys under "${prefix}": not a namespace ending in ":"`);
  const { client } = probeClient(url, 2_000);
  let deleted = 0;
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}
