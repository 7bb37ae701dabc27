/**
 * The one file of the simulators that touches `ws`: opens an authenticated WebSocket with
 * `Authorization: Bearer` (as the mobile apps do) and hands back a minimal connection.
 */
import WebSocket from 'ws';

export interface RawConnection {
  send(text: string): void;
  /** A clean close (the user logs off). */
  close(code?: number, reason?: string): void;
  /** Drops the connection without a close handshake (a phone losing its network). */
  drop(): void;
  readonly isOpen: boolean;
}

export interface ConnectionHandlers {
  onMessage(text: string): void;
  onClose(code: number, reason: string): void;
}

/** The server refused the handshake (e.g. HTTP 401 for a bad token). */
export class HandshakeRefused extends Error {
  readonly status: number;
  constructor(status: number, body: string) {
    super(`the realtime service refused the WebSocket handshake with HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`);
    this.name = 'HandshakeRefused';
    this.status = status;
  }
}

export function openConnection(url: string, token: string, handlers: ConnectionHandlers, timeoutMs = 10_000): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    let settled = false;
    let opened = false;
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < 1000) body += chunk;
      });
      response.on('end', () => {
        if (!settled) {
          settled = true;
          reject(new HandshakeRefused(response.statusCode ?? 0, body));
        }
        socket.terminate();
      });
    });
    socket.on('open', () => {
      settled = true;
      opened = true;
      resolve({
        send: (text) => socket.send(text),
        close: (code = 1000, reason = 'bye') => socket.close(code, reason),
        drop: () => socket.terminate(),
        get isOpen() {
          return socket.readyState === WebSocket.OPEN;
        },
      });
    });
    socket.on('message', (data, isBinary) => {
      if (!isBinary) handlers.onMessage(data.toString());
    });
    socket.on('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
    socket.on('close', (code, reason) => {
      if (opened) handlers.onClose(code, reason.toString());
    });
  });
}
