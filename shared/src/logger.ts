/** Structured JSON logs (pino) to stdout; one logger per service, children per component. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** `destination`: where the JSON lines go (default stdout; tests pass a stream to read them back). */
export function createLogger(service: string, level: string = 'info', destination?: NodeJS.WritableStream): Logger {
  const options = {
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', '*.token', '*.accessToken', '*.refreshToken', '*.code'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything: for library callers that did not pass one. */
export const silentLogger: Logger = pino({ level: 'silent' });
