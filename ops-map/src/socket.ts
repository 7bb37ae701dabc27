/**
 * The operator's socket: browser subprotocol auth (`drivrr.v1` + `bearer.<token>`), requests
 * answered by `ack`/`error` with the same id, `ops.subscribe` on every (re)connect, and a
 * reconnect with backoff. A socket that closes before it ever opened was most likely refused at
 * the handshake (401: expired or bad token): the page is told so it can log in again.
 */
import type { OpsRideAck, OpsSnapshot } from '@drivrr/shared/protocol';

const SUBPROTOCOL = 'drivrr.v1';
/** Close code of an expired token or an ended login (WS_CLOSE_SESSION_ENDED; type imports only here, to keep zod out of the bundle). */
const CLOSE_SESSION_ENDED = 4401;

export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'refused';

export interface OpsSocketEvents {
  snapshot(snapshot: OpsSnapshot): void;
  state(state: LinkState, detail?: string): void;
  /** The service sent session.expiring: get a new access token and hand it to `refreshSession`. */
  expiring(): void;
}

interface Pending {
  resolve(data: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class OpsSocket {
  private ws: WebSocket | undefined;
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  /**
   * Message ids must be unique per user for minutes: the service answers a repeated id with the
   * first answer without applying it again (reconnect dedupe), so a reloaded page counting from 1
   * would never be subscribed. getRandomValues works on plain http (LAN) too, unlike randomUUID.
   */
  private readonly idPrefix = `ops-${Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('')}-`;
  private retryMs = 500;
  private closedByUs = false;
  private refusals = 0;

  constructor(
    private readonly url: string,
    private token: string,
    private readonly events: OpsSocketEvents,
  ) {}

  connect(): void {
    this.closedByUs = false;
    this.events.state(this.ws ? 'reconnecting' : 'connecting');
    let opened = false;
    const ws = new WebSocket(this.url, [SUBPROTOCOL, `bearer.${this.token}`]);
    this.ws = ws;
    ws.onopen = () => {
      opened = true;
      this.retryMs = 500;
      this.refusals = 0;
      this.events.state('live');
      void this.request('ops.subscribe', {}).catch((error: Error) => this.events.state('refused', error.message));
    };
    ws.onmessage = (event) => this.onFrame(String(event.data));
    ws.onclose = (event) => {
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error('the connection closed'));
        this.pending.delete(id);
      }
      if (this.closedByUs) return;
      // 1008: policy; 4401: the token ran out or the login ended (the page refreshes or signs in again)
      if (event.code === 1008 || event.code === CLOSE_SESSION_ENDED) {
        this.events.state('refused', event.reason || 'the service closed the session');
        return;
      }
      void (async () => {
        // A socket that never opened: either the service is down (retry) or it refused the
        // handshake (401: expired or bad token). A browser cannot see the status, so ask the
        // service's health endpoint: any HTTP answer means it is up and the token is the problem.
        if (!opened && (await this.serviceAnswers())) this.refusals += 1;
        if (this.refusals >= 2) {
          this.events.state('refused', 'the service refused the session (expired or invalid token)');
          return;
        }
        this.events.state('reconnecting');
        setTimeout(() => this.connect(), this.retryMs);
        this.retryMs = Math.min(10_000, this.retryMs * 2);
      })();
    };
  }

  private async serviceAnswers(): Promise<boolean> {
    const health = new URL('/api/health', this.url.replace(/^ws/, 'http'));
    try {
      // no-cors: an opaque answer still proves the service answered; only a network error rejects.
      await fetch(health, { cache: 'no-store', mode: 'no-cors' });
      return true;
    } catch {
      return false;
    }
  }

  /** Extends the open socket with a new token (session.refresh); reconnects with it if that fails. */
  refreshSession(token: string): void {
    this.token = token;
    this.request('session.refresh', { accessToken: token }).catch(() => this.useToken(token));
  }

  /** Reconnects with a fresh token (after a new login or a refresh). */
  useToken(token: string): void {
    this.token = token;
    this.close();
    this.connect();
  }

  close(): void {
    this.closedByUs = true;
    this.ws?.close(1000, 'bye');
  }

  request<T = unknown>(type: string, data: unknown, timeoutMs = 10_000): Promise<T> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not connected'));
    const id = `${this.idPrefix}${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${type} got no answer`));
      }, timeoutMs);
      this.pending.set(id, { resolve: (v) => resolve(v as T), reject, timer });
      ws.send(JSON.stringify({ type, id, data }));
    });
  }

  rideDetail(rideId: string): Promise<OpsRideAck> {
    return this.request<OpsRideAck>('ops.ride', { rideId });
  }

  private onFrame(raw: string): void {
    let frame: { type?: unknown; id?: unknown; data?: unknown; error?: { code?: string; message?: string } };
    try {
      frame = JSON.parse(raw) as typeof frame;
    } catch {
      return; // not ours to crash on
    }
    if (frame.type === 'ops.snapshot') {
      this.events.snapshot(frame.data as OpsSnapshot);
      return;
    }
    if (frame.type === 'session.expiring') {
      this.events.expiring();
      return;
    }
    if ((frame.type === 'ack' || frame.type === 'error') && typeof frame.id === 'string') {
      const p = this.pending.get(frame.id);
      if (!p) return;
      this.pending.delete(frame.id);
      clearTimeout(p.timer);
      if (frame.type === 'ack') p.resolve(frame.data);
      else p.reject(new Error(frame.error?.message ?? frame.error?.code ?? 'refused'));
    }
  }
}
