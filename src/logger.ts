/**
 * Structured logs (pino). PII never belongs in a log line: the redaction list is a second line of
 * defence behind the rule that code logs ids, not people.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths whose values are replaced with [redacted] wherever they appear in a log object. */
export const REDACT_PATHS = [
  '*.email',
  '*.customerEmail',
  '*.customer_email',
  '*.phone',
  '*.customerPhone',
  '*.customer_phone',
  '*.from_number',
  '*.to_number',
  '*.transcript',
  '*.authorization',
  '*.Authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.secret',
  '*.apiKey',
  '*.token',
];

export function createLogger(opts: { level: string; pretty?: boolean; name?: string }): Logger {
  return pino({
    name: opts.name ?? 'billing-handoffs',
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(opts.pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
}
