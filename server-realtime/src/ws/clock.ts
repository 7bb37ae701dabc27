/**
 * The clock of the WebSocket layer (token lifetimes of sockets): a port, so that tests drive a
 * socket's expiry with a virtual clock instead of waiting for it.
 */
export interface Clock {
  /** ms since epoch. */
  now(): number;
  /** Calls `callback` once, `delayMs` from now; returns a function that cancels it. */
  after(delayMs: number, callback: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(delayMs, callback) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    timer.unref();
    return () => clearTimeout(timer);
  },
};
