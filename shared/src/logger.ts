/** Structured JSON logs (pino) to stdout; one logger per service, children per component. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(service: string, level: string = 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', '*.token', '*.accessToken', '*.refreshToken', '*.code'], censor: '[redacted]' },
  });
}

/** A logger that drops everything: for library callers that did not pass one. */
export const silentLogger: Logger = pino({ level: 'silent' });
