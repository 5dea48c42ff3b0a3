/**
 * Error classification for every connector. Each failure is a named class that is also a Temporal
 * `ApplicationFailure`, so an activity can simply let it propagate: its `type` is the class name,
 * retryable ones carry `nextRetryDelay` (from `Retry-After`), and non-retryable ones are flagged
 * and listed in `NON_RETRYABLE_CONNECTOR_ERRORS` for retry policies' `nonRetryableErrorTypes`.
 * Messages carry ids and vendor codes, never request bodies (they may hold PII).
 */
import { ApplicationFailure } from '@temporalio/common';

/** The external systems this service talks to. */
export type ConnectorSystem = 'skyfire' | 'quickbooks' | 'hubspot' | 'gmail' | 'slack' | 'zendesk' | 'drive';

/** What went wrong, in vendor terms; serialised as the failure's details (no PII). */
export interface ConnectorErrorDetails {
  system: ConnectorSystem;
  /** HTTP status, when a response arrived. */
  status?: number;
  /** Vendor error code, e.g. QuickBooks `6140`, Skyfire `PAYMENT_ERROR`, Zendesk `RecordInvalid`. */
  code?: string;
}

/** Base of all connector errors. `type` (used by retry policies) is the subclass name. */
export abstract class ConnectorError extends ApplicationFailure {
  readonly system: ConnectorSystem;
  readonly status?: number;
  readonly code?: string;
  constructor(
    type: string,
    nonRetryable: boolean,
    details: ConnectorErrorDetails,
    message: string,
    opts: { cause?: Error; nextRetryDelayMs?: number } = {},
  ) {
    const text = `${details.system}${details.status ? ` ${details.status}` : ''}${details.code ? ` ${details.code}` : ''}: ${message.slice(0, 300)}`;
    super(text, type, nonRetryable, [details], opts.cause, opts.nextRetryDelayMs);
    // Logs and stack traces show the class, not "ApplicationFailure".
    Object.defineProperty(this, 'name', { value: type, enumerable: false, configurable: true });
    this.system = details.system;
    this.status = details.status;
    this.code = details.code;
  }
}

/** 429 (or a vendor's rate-limit error): retryable after the delay the server asked for. */
export class RateLimitedError extends ConnectorError {
  readonly retryAfterMs?: number;
  constructor(details: ConnectorErrorDetails, message: string, retryAfterMs?: number) {
    super('RateLimitedError', false, details, message, { nextRetryDelayMs: retryAfterMs });
    this.retryAfterMs = retryAfterMs;
  }
}

/** 5xx, timeouts, connection resets: retryable with the policy's backoff. */
export class TransientError extends ConnectorError {
  constructor(details: ConnectorErrorDetails, message: string, cause?: Error) {
    super('TransientError', false, details, message, { cause });
  }
}

/** 401/403: bad or missing credentials, missing scope. A person must fix configuration. */
export class AuthError extends ConnectorError {
  constructor(details: ConnectorErrorDetails, message: string) {
    super('AuthError', true, details, message);
  }
}

/** 400/422, or input we refuse to send: retrying the same request cannot succeed. */
export class ValidationError extends ConnectorError {
  constructor(details: ConnectorErrorDetails, message: string) {
    super('ValidationError', true, details, message);
  }
}

/** 404 / vendor "object not found". */
export class NotFoundError extends ConnectorError {
  constructor(details: ConnectorErrorDetails, message: string) {
    super('NotFoundError', true, details, message);
  }
}

/**
 * A business rule said no: QuickBooks 6140 duplicate DocNumber or 6210 closed period, Skyfire
 * `PAYMENT_DECLINED` / `NOT_ELIGIBLE`, a Zendesk idempotency key reused with another body, conflicts.
 */
export class BusinessRuleError extends ConnectorError {
  constructor(details: ConnectorErrorDetails, message: string) {
    super('BusinessRuleError', true, details, message);
  }
}

/** Skyfire 402 `PAYMENT_ERROR` or an amount above the wallet balance: no token can be created. */
export class InsufficientFundsError extends ConnectorError {
  constructor(details: ConnectorErrorDetails, message: string) {
    super('InsufficientFundsError', true, details, message);
  }
}

/**
 * QuickBooks 5010 "Stale Object Error". Retryable on purpose: the activity re-reads the SyncToken
 * on every attempt, so Temporal's next attempt uses a fresh one.
 */
export class StaleSyncTokenError extends ConnectorError {
  constructor(details: ConnectorErrorDetails, message: string) {
    super('StaleSyncTokenError', false, details, message);
  }
}

/** A recipient that is not an email on file: the activities' guard (docs/product.md §4), never bypassed. */
export class UnverifiedRecipientError extends ConnectorError {
  constructor(details: ConnectorErrorDetails, message: string) {
    super('UnverifiedRecipientError', true, details, message);
  }
}

/**
 * Error types no retry can fix; pass to `RetryPolicy.nonRetryableErrorTypes`. (The classes also set
 * `nonRetryable`, so they stop retrying even under a policy that forgets this list.)
 */
export const NON_RETRYABLE_CONNECTOR_ERRORS = [
  'AuthError',
  'ValidationError',
  'NotFoundError',
  'BusinessRuleError',
  'InsufficientFundsError',
  'UnverifiedRecipientError',
] as const;

/** Which class a failed response belongs to. */
export type ErrorKind = 'rate_limited' | 'unavailable' | 'auth' | 'validation' | 'not_found' | 'business' | 'insufficient_funds' | 'stale';

/** The default classification by HTTP status; each connector refines it with vendor codes. */
export function kindForStatus(status: number): ErrorKind {
  if (status === 429) return 'rate_limited';
  if (status >= 500 || status === 408) return 'unavailable';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 409 || status === 402) return 'business';
  return 'validation';
}

export function makeError(kind: ErrorKind, details: ConnectorErrorDetails, message: string, retryAfterMs?: number): ConnectorError {
  switch (kind) {
    case 'rate_limited':
      return new RateLimitedError(details, message, retryAfterMs);
    case 'unavailable':
      return new TransientError(details, message);
    case 'auth':
      return new AuthError(details, message);
    case 'not_found':
      return new NotFoundError(details, message);
    case 'business':
      return new BusinessRuleError(details, message);
    case 'insufficient_funds':
      return new InsufficientFundsError(details, message);
    case 'stale':
      return new StaleSyncTokenError(details, message);
    case 'validation':
      return new ValidationError(details, message);
  }
}

/** `Retry-After` is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
