/**
 * Structured logs (pino). PII never belongs in a log line: the redaction list is a second line of
 * defence behind the rule that code logs ids, not people.
 */
import pino from 'pino';
import { requestLogFields } from './observability/request-context';

/** The service's logger: pino's (the project names it here so callers need not know the library). */
export type Logger = pino.Logger;

// Personal fields, redacted at the top level and up to two levels down (e.g. `input.fields.customerEmail`).
const PII_KEYS = [
  'email',
  'customerEmail',
  'customer_email',
  'customerName',
  'customer_name',
  'phone',
  'customerPhone',
  'customer_phone',
  'from_number',
  'to_number',
  'transcript',
  'newBillingAddress',
  'new_billing_address',
];

/** Paths whose values are replaced with [redacted] wherever they appear in a log object. */
export const REDACT_PATHS = [
  ...PII_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  '*.authorization',
  '*.Authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.secret',
  '*.apiKey',
  '*.token',
  // The SDK's activity log metadata: a task token lets its holder complete the activity.
  'taskToken',
];

/**
 * JSON lines in production (one object per line, for the log pipeline); `pretty` (development)
 * prints readable lines through pino-pretty. Every line written during an HTTP request carries its
 * `reqId` (see observability/request-context.ts).
 */
export function createLogger(opts: { level: string; pretty?: boolean; name?: string; destination?: pino.DestinationStream }): Logger {
  const options: pino.LoggerOptions = {
    name: opts.name ?? 'billing-handoffs',
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    mixin: requestLogFields,
    ...(opts.pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
  // A destination (tests, custom sinks) takes the place of stdout.
  return opts.destination && !opts.pretty ? pino(options, opts.destination) : pino(options);
}
