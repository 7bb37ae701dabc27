/**
 * Prometheus metrics of the realtime service (`GET /metrics`). One registry per server instance,
 * so tests that start several services in one process do not share counters. Label children are
 * cached: a fix fans out through here, and `labels()` hashes its arguments on every call.
 */
import client from 'prom-client';
import type { Role } from '@drivrr/shared/protocol';

export type HandshakeFailureReason = 'missing_token' | 'invalid_token' | 'token_expired' | 'unknown_user' | 'not_found' | 'shutting_down' | 'db_unavailable' | 'bad_request';
export type DropReason = 'backpressure_coalesced' | 'socket_closed' | 'slow_consumer';

export class RealtimeMetrics {
  readonly registry = new client.Registry();
  private readonly messagesIn: client.Counter<'type'>;
  private readonly messagesOut: client.Counter<'type'>;
  private readonly dropped: client.Counter<'reason'>;
  private readonly handshakeFailures: client.Counter<'reason'>;
  private readonly errorsOut: client.Counter<'code'>;
  private readonly dedupeReplays: client.Counter;
  private readonly inChildren = new Map<string, client.Counter.Internal>();
  private readonly outChildren = new Map<string, client.Counter.Internal>();

  constructor(connectionsByRole: () => Record<Role, number>) {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'drivrr_realtime_', eventLoopMonitoringPrecision: 10 });
    new client.Gauge({
      name: 'drivrr_ws_connections',
      help: 'Open authenticated WebSocket connections by role',
      labelNames: ['role'],
      registers: [this.registry],
      collect() {
        const counts = connectionsByRole();
        for (const [role, n] of Object.entries(counts)) this.set({ role }, n);
      },
    });
    this.messagesIn = new client.Counter({ name: 'drivrr_ws_messages_in_total', help: 'Client frames received, by message type (invalid frames as "invalid")', labelNames: ['type'], registers: [this.registry] });
    this.messagesOut = new client.Counter({ name: 'drivrr_ws_messages_out_total', help: 'Server frames sent, by message type', labelNames: ['type'], registers: [this.registry] });
    this.dropped = new client.Counter({ name: 'drivrr_ws_dropped_frames_total', help: 'Server frames not delivered, by reason', labelNames: ['reason'], registers: [this.registry] });
    this.handshakeFailures = new client.Counter({ name: 'drivrr_ws_handshake_failures_total', help: 'Refused WebSocket handshakes, by reason', labelNames: ['reason'], registers: [this.registry] });
    this.errorsOut = new client.Counter({ name: 'drivrr_ws_error_frames_total', help: 'error frames sent, by error code', labelNames: ['code'], registers: [this.registry] });
    this.dedupeReplays = new client.Counter({ name: 'drivrr_ws_dedupe_replays_total', help: 'Messages answered from the dedupe store instead of being applied again', registers: [this.registry] });
    for (const reason of ['backpressure_coalesced', 'socket_closed', 'slow_consumer'] as const) this.dropped.inc({ reason }, 0);
  }

  messageIn(type: string): void {
    cachedChild(this.inChildren, this.messagesIn, type).inc();
  }

  messageOut(type: string, count = 1): void {
    cachedChild(this.outChildren, this.messagesOut, type).inc(count);
  }

  frameDropped(reason: DropReason): void {
    this.dropped.inc({ reason });
  }

  handshakeFailed(reason: HandshakeFailureReason): void {
    this.handshakeFailures.inc({ reason });
  }

  errorSent(code: string): void {
    this.errorsOut.inc({ code });
  }

  dedupeReplayed(): void {
    this.dedupeReplays.inc();
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function cachedChild(cache: Map<string, client.Counter.Internal>, counter: client.Counter<'type'>, type: string): client.Counter.Internal {
  let child = cache.get(type);
  if (!child) {
    child = counter.labels(type);
    // Types come from our closed schema or from the fixed strings the transport uses: bounded.
    cache.set(type, child);
  }
  return child;
}
