/**
 * A WebSocket test client on the real `ws` client: collects every frame, lets a test wait for
 * the next frame that matches, and sends envelopes.
 */
import WebSocket from 'ws';

export interface Frame {
  type: string;
  id?: string;
  data?: any;
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

export interface ConnectOptions {
  /** How the token travels: header (default), query, or subprotocol. */
  carrier?: 'header' | 'query' | 'subprotocol';
  /** Wait for session.state before resolving (default true). */
  waitForState?: boolean;
}

export class TestClient {
  readonly frames: Frame[] = [];
  /** Types of every frame received, in arrival order (never consumed). */
  readonly arrivals: string[] = [];
  closeCode: number | undefined;
  closeReason: string | undefined;
  sessionState: Frame | undefined;
  private readonly waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private cursor = 0;
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as Frame;
      this.arrivals.push(frame.type);
      this.frames.push(frame);
      const i = this.waiters.findIndex((w) => w.match(frame));
      if (i !== -1) {
        const [w] = this.waiters.splice(i, 1);
        clearTimeout(w!.timer);
        w!.resolve(frame);
      }
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(new Error(`socket closed (${code}) while waiting for a frame`));
        }
        resolve(code);
      });
    });
    ws.on('error', () => {});
  }

  send(type: string, data?: unknown, id?: string): void {
    this.ws.send(JSON.stringify({ type, ...(id === undefined ? {} : { id }), ...(data === undefined ? {} : { data }) }));
  }

  sendRaw(raw: string | Buffer): void {
    this.ws.send(raw);
  }

  /** Sends a message with an id and resolves with its answer (ack or error). */
  async request(type: string, data?: unknown, id = `m-${Math.random().toString(36).slice(2)}`): Promise<Frame> {
    const answer = this.next((f) => (f.type === 'ack' || f.type === 'error') && f.id === id);
    this.send(type, data, id);
    return answer;
  }

  /** The next frame (received from now on, or already received and not yet consumed) that matches. */
  next(match: (f: Frame) => boolean, timeoutMs = 5_000): Promise<Frame> {
    for (let i = this.cursor; i < this.frames.length; i++) {
      const frame = this.frames[i]!;
      if (match(frame)) {
        this.frames.splice(i, 1);
        return Promise.resolve(frame);
      }
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (f: Frame) => {
          this.frames.splice(this.frames.indexOf(f), 1);
          resolve(f);
        },
        reject,
        // A waiter that timed out leaves the list: left there, it would take the next matching
        // frame from the waiter behind it (a retried wait would then never see its frame).
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i !== -1) this.waiters.splice(i, 1);
          reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  nextOfType(type: string, timeoutMs?: number): Promise<Frame> {
    return this.next((f) => f.type === type, timeoutMs);
  }

  close(): Promise<number> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}

export function openSocket(wsUrl: string, token: string | undefined, carrier: ConnectOptions['carrier'] = 'header'): WebSocket {
  if (token === undefined) return new WebSocket(wsUrl);
  if (carrier === 'query') return new WebSocket(`${wsUrl}?token=${encodeURIComponent(token)}`);
  if (carrier === 'subprotocol') return new WebSocket(wsUrl, ['drivrr.v1', `bearer.${token}`]);
  return new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
}

/** Connects and (by default) waits for session.state, which is kept in `sessionState`. */
export async function connect(wsUrl: string, token: string, options: ConnectOptions = {}): Promise<TestClient> {
  const ws = openSocket(wsUrl, token, options.carrier);
  const client = new TestClient(ws);
  const state = options.waitForState === false ? undefined : client.nextOfType('session.state');
  // If the handshake fails, nobody awaits `state`: keep its rejection from going unhandled.
  state?.catch(() => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused with HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  if (state) client.sessionState = await state;
  return client;
}

/** Attempts a handshake and resolves with the HTTP status and JSON body of the refusal. */
export function refusedHandshake(ws: WebSocket): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      reject(new Error('the handshake was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    ws.on('error', (error) => reject(error));
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retries `check` until it stops throwing (state the server reaches asynchronously). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(20);
    }
  }
}
