/**
 * The WebSocket transport: the ONLY file of the service that imports `ws`. It authenticates the
 * upgrade request before any socket exists (a refused handshake is a plain HTTP answer), answers
 * the `drivrr.v1` subprotocol, and hands every accepted socket to the gateway as a `Connection`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { WS_SUBPROTOCOL } from '@drivrr/shared/protocol';
import type { Connection } from './session.js';

/**
 * ws closes a connection with 1009 when a frame exceeds maxPayload before we could read it. Frames
 * between MAX_FRAME_BYTES (16 KiB) and this limit are read and answered with `frame_too_large`
 * (the socket stays open); only frames above it are closed with 1009.
 */
export const WS_MAX_PAYLOAD_BYTES = 64 * 1024;

/** ws.send options: a UTF-8 text frame (the payload is handed over as a Buffer). */
const TEXT_FRAME = { binary: false } as const;

/** How soon a backed-up socket is looked at again when no 'drain' event will come. */
const DRAIN_POLL_MS = 10;

export type HandshakeResult<I> = { ok: true; identity: I } | { ok: false; status: number; body: unknown };

export interface ConnectionEvents {
  message(raw: Buffer): void;
  pong(): void;
  closed(code: number, reason: string): void;
}

export interface TransportHandlers<I> {
  authenticate(req: IncomingMessage): Promise<HandshakeResult<I>>;
  connected(connection: Connection, identity: I): ConnectionEvents;
  /** Unexpected transport errors (logged by the caller). */
  error(error: unknown, where: string): void;
}

export class WebSocketTransport<I> {
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private accepting = true;

  constructor(
    private readonly path: string,
    private readonly handlers: TransportHandlers<I>,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // Compression costs CPU and ~300 KiB of zlib state per socket under load; location frames are tiny.
      perMessageDeflate: false,
      maxPayload: WS_MAX_PAYLOAD_BYTES,
      handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
    });
  }

  /** Whether this upgrade request is ours (the HTTP server routes other paths elsewhere). */
  handles(req: IncomingMessage): boolean {
    return pathOf(req.url) === this.path;
  }

  /** The HTTP server's 'upgrade' listener. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (!this.accepting) {
      refuse(socket, 503, { error: { code: 'service_unavailable', message: 'the service is shutting down' } });
      return;
    }
    if (!this.handles(req)) {
      refuse(socket, 404, { error: { code: 'not_found', message: 'WebSocket endpoint is /ws' } });
      return;
    }
    this.handlers
      .authenticate(req)
      .then((result) => {
        if (socket.destroyed) return;
        if (!result.ok) {
          refuse(socket, result.status, result.body);
          return;
        }
        if (!this.accepting) {
          refuse(socket, 503, { error: { code: 'service_unavailable', message: 'the service is shutting down' } });
          return;
        }
        this.upgrade(req, socket, head, result.identity);
      })
      .catch((error: unknown) => {
        this.handlers.error(error, 'handshake');
        refuse(socket, 500, { error: { code: 'internal_error', message: 'the handshake failed' } });
      });
  }

  /**
   * A method of its own so the upgrade callback's closure does not keep the request (headers,
   * URL with a token) alive for the socket's lifetime: idle sockets must stay cheap.
   */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, identity: I): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.adopt(ws, socket, identity));
  }

  private adopt(ws: WebSocket, raw: Duplex, identity: I): void {
    this.sockets.add(ws);
    const connection = new WsConnection(ws, raw);
    let events: ConnectionEvents;
    try {
      events = this.handlers.connected(connection, identity);
    } catch (error) {
      this.handlers.error(error, 'connected');
      ws.terminate();
      return;
    }
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      void isBinary;
      try {
        events.message(data);
      } catch (error) {
        this.handlers.error(error, 'message');
      }
    });
    ws.on('pong', () => events.pong());
    // ws emits 'error' for protocol violations (e.g. 1009 over maxPayload) and then closes.
    ws.on('error', () => {});
    ws.once('close', (code: number, reason: Buffer) => {
      this.sockets.delete(ws);
      try {
        events.closed(code, reason.toString());
      } catch (error) {
        this.handlers.error(error, 'close');
      }
    });
  }

  /** Stops accepting upgrades; existing sockets stay until close(). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Closes every socket with `code`, terminating the ones still open after `timeoutMs`. */
  async closeAll(code: number, reason: string, timeoutMs: number): Promise<void> {
    const open = [...this.sockets];
    if (open.length === 0) return;
    await new Promise<void>((resolve) => {
      let remaining = open.length;
      const timer = setTimeout(() => {
        for (const ws of open) ws.terminate();
        resolve();
      }, timeoutMs);
      timer.unref();
      const oneClosed = () => {
        remaining -= 1;
        if (remaining === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (const ws of open) {
        if (ws.readyState === ws.CLOSED) {
          oneClosed();
          continue;
        }
        ws.once('close', oneClosed);
        ws.close(code, reason);
      }
    });
    this.wss.close();
  }

  socketCount(): number {
    return this.sockets.size;
  }
}

/** The Connection the rest of ws/ sees; methods on the prototype, so a socket costs two fields. */
class WsConnection implements Connection {
  constructor(
    private readonly ws: WebSocket,
    private readonly raw: Duplex,
  ) {}

  send(frame: string): boolean {
    if (this.ws.readyState !== this.ws.OPEN) return false;
    // ws does the framing. Given a Buffer (text opcode all the same), the socket writes header
    // and payload as two buffers; given a string, Node's writev copies it into a fresh native
    // allocation on every frame (~1 us per frame more, docs/performance.md).
    this.ws.send(Buffer.from(frame), TEXT_FRAME);
    return true;
  }

  close(code: number, reason: string): void {
    const state = this.ws.readyState;
    if (state === this.ws.OPEN || state === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  onceDrained(callback: () => void): void {
    if (this.raw.destroyed) return;
    // 'drain' only fires after a write was refused (queue past the stream's highWaterMark);
    // below that the queue empties without an event, so look again shortly instead.
    if (this.raw.writableNeedDrain) this.raw.once('drain', callback);
    else setTimeout(callback, DRAIN_POLL_MS).unref();
  }

  ping(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }
}

function pathOf(url: string | undefined): string {
  const q = (url ?? '/').indexOf('?');
  return q === -1 ? (url ?? '/') : (url ?? '/').slice(0, q);
}

/** Answers a refused upgrade as plain HTTP and drops the TCP connection: no socket is created. */
function refuse(socket: Duplex, status: number, body: unknown): void {
  if (socket.destroyed) return;
  const json = JSON.stringify(body);
  const statusText = { 401: 'Unauthorized', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' }[status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}
