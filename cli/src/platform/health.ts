/** Checks both services' GET /api/health (and the database through them). */
export type ServiceStatus = 'ok' | 'degraded' | 'unreachable' | 'error';

export interface ServiceHealth {
  service: 'auth' | 'realtime';
  url: string;
  status: ServiceStatus;
  httpStatus: number | null;
  db: { ok: boolean; latencyMs: number | null } | null;
  version: string | null;
  uptimeS: number | null;
  /** Only for realtime: live socket counts. */
  connections?: Record<string, number>;
  /** Only for realtime: the node that answered (`node` of its health: id, mode, Redis), when it reports one. */
  node?: RealtimeNode;
  /**
   * Only for realtime: every node serving it: the cluster's registry (`cluster.nodes`: id, url,
   * connections, lastSeenAt), else the one node that answered. Absent from a service too old to say.
   */
  nodes?: Record<string, unknown>[];
  /** Why it is not ok, when it is not. */
  problem?: string;
  responseMs: number | null;
}

export interface RealtimeNode {
  id: string | null;
  mode: 'single' | 'cluster' | null;
  redis?: { ok: boolean; latencyMs: number | null };
}

function realtimeNodeOf(raw: unknown): RealtimeNode | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const node = raw as { id?: unknown; mode?: unknown; redis?: { ok?: unknown; latencyMs?: unknown } };
  return {
    id: typeof node.id === 'string' ? node.id : null,
    mode: node.mode === 'single' || node.mode === 'cluster' ? node.mode : null,
    ...(node.redis && typeof node.redis === 'object'
      ? { redis: { ok: node.redis.ok === true, latencyMs: typeof node.redis.latencyMs === 'number' ? node.redis.latencyMs : null } }
      : {}),
  };
}

export interface StackHealth {
  healthy: boolean;
  checkedAt: string;
  services: ServiceHealth[];
}

export async function checkService(service: ServiceHealth['service'], baseUrl: string, timeoutMs = 3_000): Promise<ServiceHealth> {
  const url = `${baseUrl}/api/health`;
  const started = performance.now();
  const base: ServiceHealth = { service, url, status: 'unreachable', httpStatus: null, db: null, version: null, uptimeS: null, responseMs: null };
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : cause === 'ECONNREFUSED' ? 'connection refused (is the stack up?)' : (cause ?? (error as Error).message);
    return { ...base, problem: reason };
  }
  const responseMs = Math.round(performance.now() - started);
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = await res.json();
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    return { ...base, status: 'error', httpStatus: res.status, responseMs, problem: 'the answer is not JSON (is this a Drivrr service?)' };
  }
  const db = body.db && typeof body.db === 'object' ? (body.db as { ok?: unknown; latencyMs?: unknown }) : undefined;
  const health: ServiceHealth = {
    ...base,
    httpStatus: res.status,
    status: res.status === 200 && body.status === 'ok' ? 'ok' : body.status === 'degraded' ? 'degraded' : 'error',
    db: db ? { ok: db.ok === true, latencyMs: typeof db.latencyMs === 'number' ? db.latencyMs : null } : null,
    version: typeof body.version === 'string' ? body.version : null,
    uptimeS: typeof body.uptimeS === 'number' ? body.uptimeS : null,
    responseMs,
  };
  if (body.service !== undefined && body.service !== service) {
    return { ...health, status: 'error', problem: `expected the ${service} service, found "${String(body.service)}"` };
  }
  if (service === 'realtime' && body.connections && typeof body.connections === 'object') health.connections = body.connections as Record<string, number>;
  const node = service === 'realtime' ? realtimeNodeOf(body.node) : undefined;
  if (node) health.node = node;
  const cluster = body.cluster as { nodes?: unknown } | undefined;
  if (service === 'realtime' && Array.isArray(cluster?.nodes)) health.nodes = cluster.nodes.filter((n): n is Record<string, unknown> => typeof n === 'object' && n !== null);
  // one node: the node itself, where it is and its own connections, in the registry's shape
  else if (node) health.nodes = [{ id: node.id, url: baseUrl, connections: health.connections }];
  if (health.status === 'degraded') {
    const dbDown = health.db?.ok === false;
    const redisDown = node?.redis?.ok === false;
    health.problem = redisDown && !dbDown ? 'Redis is unreachable from the node' : redisDown ? 'the database and Redis are unreachable from the node' : 'the database is unreachable from the service';
  } else if (health.status === 'error') health.problem = `HTTP ${res.status}`;
  return health;
}

export async function checkStack(endpoints: { authUrl: string; realtimeUrl: string }, timeoutMs?: number): Promise<StackHealth> {
  const services = await Promise.all([checkService('auth', endpoints.authUrl, timeoutMs), checkService('realtime', endpoints.realtimeUrl, timeoutMs)]);
  return { healthy: services.every((s) => s.status === 'ok'), checkedAt: new Date().toISOString(), services };
}
