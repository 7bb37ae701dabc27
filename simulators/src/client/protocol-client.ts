/**
 * A client of the realtime protocol, as an app would implement it: connect with a token, send
 * messages with ids and await their `ack`/`error`, receive typed frames validated against the
 * shared schemas, reconnect (re-sending unanswered messages with the same ids, which the server
 * dedupes), and log off cleanly. Anything the server sends that the contract does not allow is
 * reported as an issue (the simulators count them as protocol errors).
 */
import { randomBytes } from 'node:crypto';
import {
  ErrorFrame,
  serverMessageData,
  type ClientMessageInputOf,
  type ClientMessageType,
  type ServerMessageDataOf,
  type ServerMessageType,
} from '@drivrr/shared/protocol';
import { openConnection, type RawConnection } from './transport.js';

export type InboundFrame = { [T in ServerMessageType]: { type: T; id?: string; data: ServerMessageDataOf<T>; receivedAt: number } }[ServerMessageType];
export type FrameOf<T extends ServerMessageType> = Extract<InboundFrame, { type: T }>;

/** The server answered a message with an `error` frame (a domain refusal or a protocol problem). */
export class ProtocolRefusal extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  readonly messageType: ClientMessageType;
  constructor(messageType: ClientMessageType, code: string, message: string, details?: Record<string, unknown>) {
    super(`${messageType} refused: ${code}: ${message}`);
    this.name = 'ProtocolRefusal';
    this.code = code;
    this.details = details;
    this.messageType = messageType;
  }
}

export class ProtocolTimeout extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`no ${what} within ${timeoutMs} ms`);
    this.name = 'ProtocolTimeout';
  }
}

export type IssueKind = 'invalid_json' | 'invalid_frame' | 'unknown_frame_type' | 'unsolicited_error' | 'unknown_ack' | 'unexpected_close' | 'session_refresh_failed';
export interface ProtocolIssue {
  kind: IssueKind;
  detail: string;
}

export interface ProtocolClientOptions {
  wsUrl: string;
  /** A valid access token (called on every (re)connect). */
  token: () => Promise<string>;
  /**
   * A new access token, asked for when the server sends session.expiring: the client answers with
   * session.refresh, as an app should, so the socket outlives the first token.
   */
  freshToken?: () => Promise<string>;
  /** A short label that starts every message id of this client (ids are unique per client). */
  label?: string;
  /** Keep every inbound frame for `waitFor` (scenarios); fleets use listeners only. */
  keepInbox?: boolean;
  onIssue?: (issue: ProtocolIssue) => void;
  /** Called after the connection closed by itself (not by close()/drop()). */
  onDisconnect?: (code: number, reason: string) => void;
  requestTimeoutMs?: number;
}

interface Pending {
  type: ClientMessageType;
  text: string;
  resolve(data: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

type Listener = (frame: InboundFrame) => void;

interface InboxEntry {
  frame: InboundFrame;
  consumed: boolean;
}

export class ProtocolClient {
  private connection: RawConnection | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly inbox: InboxEntry[] = [];
  private readonly waiters = new Set<() => void>();
  private counter = 0;
  private closingOnPurpose = false;
  /** Connections given up on purpose (close, drop): their late close events are no news. */
  private readonly abandoned = new WeakSet<RawConnection>();
  private sessionWaiter: ((frame: FrameOf<'session.state'>) => void) | undefined;
  private readonly idPrefix: string;
  /** Counts of frames received, by type. */
  readonly received = new Map<string, number>();
  sent = 0;

  constructor(private readonly options: ProtocolClientOptions) {
    // The server dedupes ids per user for minutes: a fresh nonce per client keeps a new client
    // (another run, another test) from reusing the ids of an earlier one of the same user.
    this.idPrefix = `${(options.label ?? 'c').slice(0, 24)}-${randomBytes(5).toString('hex')}-`;
  }

  get connected(): boolean {
    return this.connection?.isOpen === true;
  }

  /**
   * Connects and resolves with the `session.state` the server sends first. Unanswered messages
   * from before a reconnect are sent again with their original ids.
   */
  async connect(timeoutMs = 10_000): Promise<FrameOf<'session.state'>> {
    this.closingOnPurpose = false;
    const token = await this.options.token();
    const session = new Promise<FrameOf<'session.state'>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.sessionWaiter = undefined;
        reject(new ProtocolTimeout('session.state after connecting', timeoutMs));
      }, timeoutMs);
      this.sessionWaiter = (frame) => {
        clearTimeout(timer);
        resolve(frame);
      };
    });
    session.catch(() => undefined);
    const opened: RawConnection = await openConnection(this.options.wsUrl, token, {
      onMessage: (text) => this.handleText(text),
      // A dropped connection may report its close after the next one opened: that one is not closed.
      onClose: (code, reason) => (this.abandoned.has(opened) ? undefined : this.handleClose(code, reason)),
    }, timeoutMs);
    this.connection = opened;
    const state = await session;
    for (const [, pending] of this.pending) this.connection.send(pending.text);
    return state;
  }

  /** Sends a message with an id and resolves with the ack's data; rejects with ProtocolRefusal. */
  request<T extends ClientMessageType>(type: T, data: ClientMessageInputOf<T>, options: { timeoutMs?: number; id?: string } = {}): Promise<unknown> {
    const id = options.id ?? this.nextId();
    const text = JSON.stringify({ type, id, data });
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? 15_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ProtocolTimeout(`answer to ${type} (id ${id})`, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { type, text, resolve, reject, timer });
      // While disconnected the message waits and goes out on reconnect.
      if (this.connected) {
        this.connection!.send(text);
        this.sent += 1;
      }
    });
  }

  /** Sends a message without an id (fire and forget, e.g. location fixes). Dropped when offline. */
  post<T extends ClientMessageType>(type: T, data: ClientMessageInputOf<T>): boolean {
    if (!this.connected) return false;
    this.connection!.send(JSON.stringify({ type, data }));
    this.sent += 1;
    return true;
  }

  /** Sends any text as is (scenarios use it to send malformed frames on purpose). */
  sendRaw(text: string): void {
    this.connection?.send(text);
  }

  nextId(): string {
    this.counter += 1;
    return `${this.idPrefix}${this.counter.toString(36)}`;
  }

  on<T extends ServerMessageType>(type: T, listener: (frame: FrameOf<T>) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  /**
   * The first frame of `type` (matching `where`) not yet taken by an earlier wait, from the
   * inbox or arriving within the timeout. Needs `keepInbox`.
   */
  waitFor<T extends ServerMessageType>(type: T, where: (frame: FrameOf<T>) => boolean = () => true, timeoutMs = 10_000): Promise<FrameOf<T>> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (const entry of this.inbox) {
          if (entry.consumed || entry.frame.type !== type) continue;
          if (!where(entry.frame as FrameOf<T>)) continue;
          entry.consumed = true;
          resolve(entry.frame as FrameOf<T>);
          return true;
        }
        return false;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new ProtocolTimeout(`${type} frame`, timeoutMs));
      }, timeoutMs);
      const waiter = () => {
        if (check()) {
          clearTimeout(timer);
          this.waiters.delete(waiter);
        }
      };
      this.waiters.add(waiter);
    });
  }

  /** Frames of `type` in the inbox not yet taken (for "expect no X" checks). */
  untaken<T extends ServerMessageType>(type: T, where: (frame: FrameOf<T>) => boolean = () => true): FrameOf<T>[] {
    return this.inbox.filter((entry) => !entry.consumed && entry.frame.type === type && where(entry.frame as FrameOf<T>)).map((entry) => entry.frame as FrameOf<T>);
  }

  /** Every frame received so far (with keepInbox). */
  frames(): InboundFrame[] {
    return this.inbox.map((entry) => entry.frame);
  }

  /** Logs off: a clean close; unanswered messages are given up. */
  close(): void {
    this.closingOnPurpose = true;
    if (this.connection) this.abandoned.add(this.connection);
    this.connection?.close(1000, 'logoff');
    this.connection = undefined;
    this.failPending(new Error('the client closed the connection'));
  }

  /** Loses the connection abruptly (no close handshake); unanswered messages wait for reconnect. */
  drop(): void {
    this.closingOnPurpose = true;
    if (this.connection) this.abandoned.add(this.connection);
    this.connection?.drop();
    this.connection = undefined;
  }

  private failPending(error: Error): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
  }

  private issue(kind: IssueKind, detail: string): void {
    this.options.onIssue?.({ kind, detail });
  }

  private handleClose(code: number, reason: string): void {
    const onPurpose = this.closingOnPurpose;
    this.connection = undefined;
    if (onPurpose) return;
    // 1001 "going away" is a server shutdown: expected at the end of a run, not an error here.
    if (code !== 1001) this.issue('unexpected_close', `closed by the server: ${code} ${reason}`);
    this.options.onDisconnect?.(code, reason);
  }

  private handleText(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.issue('invalid_json', `a frame that is not JSON: ${text.slice(0, 80)}`);
      return;
    }
    if (typeof json !== 'object' || json === null || typeof (json as { type?: unknown }).type !== 'string') {
      this.issue('invalid_frame', `a frame without a type: ${text.slice(0, 80)}`);
      return;
    }
    const envelope = json as { type: string; id?: unknown; data?: unknown };
    const id = typeof envelope.id === 'string' ? envelope.id : undefined;
    this.received.set(envelope.type, (this.received.get(envelope.type) ?? 0) + 1);

    if (envelope.type === 'ack' || envelope.type === 'error') {
      this.handleAnswer(envelope.type, id, json, text);
      return;
    }
    if (!Object.hasOwn(serverMessageData, envelope.type)) {
      this.issue('unknown_frame_type', `unknown frame type "${envelope.type}"`);
      return;
    }
    const type = envelope.type as ServerMessageType;
    const parsed = serverMessageData[type].safeParse(envelope.data);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      this.issue('invalid_frame', `${type}: ${first?.path.join('.') || '(data)'} ${first?.message ?? ''}`);
      return;
    }
    const frame = { type, ...(id === undefined ? {} : { id }), data: parsed.data, receivedAt: Date.now() } as InboundFrame;
    if (type === 'session.expiring') this.refreshSession();
    if (type === 'session.state' && this.sessionWaiter) {
      const waiter = this.sessionWaiter;
      this.sessionWaiter = undefined;
      waiter(frame as FrameOf<'session.state'>);
    }
    if (this.options.keepInbox) {
      this.inbox.push({ frame, consumed: false });
      for (const waiter of [...this.waiters]) waiter();
    }
    const set = this.listeners.get(type);
    if (set) for (const listener of set) listener(frame);
    const any = this.listeners.get('*');
    if (any) for (const listener of any) listener(frame);
  }

  /** session.expiring: send session.refresh with a new token (the server closes with 4401 otherwise). */
  private refreshSession(): void {
    const fresh = this.options.freshToken;
    if (!fresh) return;
    fresh()
      .then((accessToken) => this.request('session.refresh', { accessToken }))
      .catch((error: unknown) => this.issue('session_refresh_failed', error instanceof Error ? error.message : String(error)));
  }

  private handleAnswer(kind: 'ack' | 'error', id: string | undefined, json: unknown, text: string): void {
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (kind === 'error') {
      const parsed = ErrorFrame.safeParse(json);
      if (!parsed.success) {
        this.issue('invalid_frame', `an error frame without {code, message}: ${text.slice(0, 120)}`);
        return;
      }
      if (!pending) {
        this.issue('unsolicited_error', `${parsed.data.error.code}: ${parsed.data.error.message}${id ? ` (id ${id})` : ''}`);
        return;
      }
      clearTimeout(pending.timer);
      this.pending.delete(id!);
      pending.reject(new ProtocolRefusal(pending.type, parsed.data.error.code, parsed.data.error.message, parsed.data.error.details));
      return;
    }
    if (!pending) {
      // A replayed answer after a reconnect may arrive for a message already answered: harmless.
      if (id === undefined) this.issue('unknown_ack', 'an ack without an id');
      return;
    }
    clearTimeout(pending.timer);
    this.pending.delete(id!);
    pending.resolve((json as { data?: unknown }).data);
  }
}
