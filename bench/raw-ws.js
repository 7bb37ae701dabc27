/**
 * A deliberately thin WebSocket client for the load generator: raw TCP, one write per frame,
 * a zero masking key (valid per RFC 6455 §5.3: the key must be present, not random) and no JSON
 * parsing of inbound frames. The `ws` client costs several times more CPU per message, and with
 * two cores the generator, not the server, would be what the benchmark measures.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';

const ZERO_MASK = Buffer.alloc(4);

export function encodeTextFrame(text) {
  const payload = Buffer.from(text);
  const len = payload.length;
  let header;
  if (len < 126) {
    header = Buffer.from([0x81, 0x80 | len]);
  } else if (len < 65536) {
    header = Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff]);
  } else {
    throw new Error('bench frames stay small');
  }
  return Buffer.concat([header, ZERO_MASK, payload]);
}

function controlFrame(opcode, payload = Buffer.alloc(0)) {
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), ZERO_MASK, payload]);
}

export class RawSocket {
  constructor(socket, onText) {
    this.socket = socket;
    this.onText = onText;
    this.pending = null;
    this.closed = false;
    /** Pings the server sent (each answered with a pong): the sockets-held mode checks heartbeats. */
    this.pings = 0;
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  send(text) {
    if (!this.closed) this.socket.write(encodeTextFrame(text));
  }

  sendFrame(frame) {
    if (!this.closed) this.socket.write(frame);
  }

  close() {
    if (this.closed) return;
    this.socket.write(controlFrame(0x8, Buffer.from([0x03, 0xe8])));
    this.socket.end();
  }

  receive(chunk) {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    for (;;) {
      if (buf.length - offset < 2) break;
      const b0 = buf[offset];
      const b1 = buf[offset + 1];
      let len = b1 & 0x7f;
      let head = 2;
      if (len === 126) {
        if (buf.length - offset < 4) break;
        len = buf.readUInt16BE(offset + 2);
        head = 4;
      } else if (len === 127) {
        if (buf.length - offset < 10) break;
        len = Number(buf.readBigUInt64BE(offset + 2));
        head = 10;
      }
      if (buf.length - offset < head + len) break;
      const opcode = b0 & 0x0f;
      const payload = buf.subarray(offset + head, offset + head + len);
      offset += head + len;
      if (opcode === 0x1) this.onText(payload);
      else if (opcode === 0x9) {
        this.pings += 1;
        this.sendFrame(controlFrame(0xa, payload));
      }
      else if (opcode === 0x8) {
        this.closed = true;
        this.socket.end();
      }
    }
    this.pending = offset < buf.length ? buf.subarray(offset) : null;
  }
}

/**
 * Opens a WebSocket with an HTTP/1.1 upgrade; rejects with the status line when refused.
 * `localAddress` (e.g. 127.0.0.3) picks the source address: each one has its own ~28k ephemeral
 * ports, so tens of thousands of sockets from one machine do not run out of them.
 */
export function rawConnect({ host, port, path, headers = {}, onText, localAddress }) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    socket.setNoDelay(true);
    const key = randomBytes(16).toString('base64');
    let head = Buffer.alloc(0);
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.off('error', reject);
      const status = head.subarray(0, head.indexOf('\r\n')).toString();
      if (!status.includes(' 101 ')) {
        socket.destroy();
        reject(new Error(`handshake refused: ${status}`));
        return;
      }
      const raw = new RawSocket(socket, onText);
      const rest = head.subarray(end + 4);
      if (rest.length > 0) raw.receive(rest);
      resolve(raw);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`);
  });
}
