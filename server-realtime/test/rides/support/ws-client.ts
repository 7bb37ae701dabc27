/**
 * A small WebSocket client for end-to-end tests: connects with a token as an app would, records
 * every frame, waits for a frame of a type, and sends messages with ids and awaits their ack.
 */
import WebSocket from 'ws';
import type { ServerMessageDataOf, ServerMessageType } from '@drivrr/shared/protocol';

export interface Frame {
  type: string;
  id?: string;
  /** Frames about one ride: its event number. */
  seq?: number;
  data?: unknown;
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

export class RemoteError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(`${code}: ${message}`);
  }
}

let nextId = 0;

export class WsTestClient {
  readonly frames: Frame[] = [];
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private closed: Promise<void>;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (raw) => {
      let frame: Frame;
      try {
        frame = JSON.parse(raw.toString()) as Frame;
      } catch {
        return;
      }
      this.frames.push(frame);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(frame)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(frame);
        }
      }
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static connect(wsUrl: string, token: string): Promise<WsTestClient> {
    const socket = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
    const client = new WsTestClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    });
  }

  /** Connects and waits for the first session.state. */
  static async session(wsUrl: string, token: string): Promise<{ client: WsTestClient; state: ServerMessageDataOf<'session.state'> }> {
    const client = await WsTestClient.connect(wsUrl, token);
    const state = await client.waitFor('session.state');
    return { client, state };
  }

  /** The first frame (already received or coming) of `type` matching `where`. */
  waitFor<T extends ServerMessageType>(type: T, where: (data: ServerMessageDataOf<T>) => boolean = () => true, timeoutMs = 5_000): Promise<ServerMessageDataOf<T>> {
    const match = (f: Frame) => f.type === type && where(f.data as ServerMessageDataOf<T>);
    const already = this.frames.find(match);
    if (already) return Promise.resolve(already.data as ServerMessageDataOf<T>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.match !== match);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${type}; got ${this.frames.map((f) => f.type).join(', ')}`));
      }, timeoutMs);
      this.waiters.push({ match, resolve: (f) => (clearTimeout(timer), resolve(f.data as ServerMessageDataOf<T>)) });
    });
  }

  /** Frames of a type received so far. */
  all<T extends ServerMessageType>(type: T): ServerMessageDataOf<T>[] {
    return this.frames.filter((f) => f.type === type).map((f) => f.data as ServerMessageDataOf<T>);
  }

  /** Sends `{type, id, data}` and resolves with the ack's data, or rejects with a RemoteError. */
  request<R = unknown>(type: string, data: unknown, timeoutMs = 5_000, messageId?: string): Promise<R> {
    nextId += 1;
    const id = messageId ?? `t${process.pid}-${nextId}`;
    const answer = new Promise<Frame>((resolve, reject) => {
      const match = (f: Frame) => f.id === id && (f.type === 'ack' || f.type === 'error');
      const timer = setTimeout(() => reject(new Error(`no answer to ${type} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ match, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
    this.socket.send(JSON.stringify({ type, id, data }));
    return answer.then((frame) => {
      if (frame.type === 'error') throw new RemoteError(frame.error?.code ?? 'unknown', frame.error?.message ?? '', frame.error?.details);
      return frame.data as R;
    });
  }

  /**
   * Sends several messages back to back in one synchronous burst (as a client that writes them
   * in one go would) and resolves with each one's error code ('ok' when acked), in order.
   */
  burst(messages: readonly { type: string; data: unknown }[]): Promise<string[]> {
    const answers = messages.map(({ type, data }) =>
      this.request(type, data).then(
        () => 'ok',
        (error: unknown) => (error instanceof RemoteError ? error.code : Promise.reject(error)),
      ),
    );
    return Promise.all(answers);
  }

  /** Like request, but resolves with the error code ('ok' when acked). */
  async errorOf(type: string, data: unknown): Promise<string> {
    try {
      await this.request(type, data);
      return 'ok';
    } catch (error) {
      if (error instanceof RemoteError) return error.code;
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(1000, 'test done');
    await Promise.race([this.closed, new Promise((resolve) => setTimeout(resolve, 1_000))]);
    this.socket.terminate();
  }
}
