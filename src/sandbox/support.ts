/**
 * Small helpers shared by the sandbox plug-ins: credentials the sandbox accepts, id and money
 * helpers, and request hashing for idempotency emulation. No service code (the sandbox stands in
 * for other companies' servers).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Request } from 'express';

/**
 * Credentials the sandbox accepts. They mirror `SANDBOX_TOKENS` in the service's config on purpose
 * (the sandbox may not import service code); they are fixed, non-secret localhost values.
 */
export const SANDBOX_CREDENTIALS = {
  skyfire: 'sandbox-skyfire-buyer-key',
  /** The seller agent's key (the seller service that charges refund pay tokens). */
  skyfireSeller: 'sandbox-skyfire-seller-key',
  quickbooks: 'sandbox-qbo-access-token',
  hubspot: 'sandbox-hubspot-token',
  google: 'sandbox-google-token',
  zendeskEmail: 'agent@sandbox.example',
  zendeskToken: 'sandbox-zendesk-token',
} as const;

export function bearer(req: Request): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}

/** Stable hash of a request body, for "same key, same body?" checks. */
export function bodyHash(body: unknown): string {
  const text = Buffer.isBuffer(body) ? body.toString('base64') : JSON.stringify(body ?? null);
  return createHash('sha256').update(text).digest('hex');
}

export function uuid(): string {
  return randomUUID();
}

/** Decimal string -> integer micro-units (6 places), so sandbox money never uses float sums. */
export function toMicros(value: string): number | undefined {
  if (!/^\d+(\.\d{1,6})?$/.test(value)) return undefined;
  const [i, f = ''] = value.split('.');
  return Number(i) * 1_000_000 + Number(f.padEnd(6, '0'));
}

export function fromMicros(micros: number, places = 2): string {
  const neg = micros < 0;
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / 1_000_000);
  const frac = String(abs % 1_000_000)
    .padStart(6, '0')
    .slice(0, places);
  return `${neg ? '-' : ''}${whole}${places > 0 ? `.${frac}` : ''}`;
}

/**
 * Decimal places of a currency, as QuickBooks Online uses them for amounts (ISO 4217: JPY 0, KWD 3,
 * most 2). The sandbox keeps its own small table: it stands in for another company's server and
 * shares no code with the service.
 */
const SANDBOX_EXPONENTS: Record<string, number> = { JPY: 0, KRW: 0, CLP: 0, ISK: 0, VND: 0, KWD: 3, BHD: 3, OMR: 3, JOD: 3, TND: 3 };
export function currencyPlaces(currency: string): number {
  return SANDBOX_EXPONENTS[currency] ?? 2;
}
/** Minor units of `currency` -> the JSON number QuickBooks sends (5000 JPY -> 5000, 4999 KWD -> 4.999). */
export function minorToAmount(minor: number, currency: string): number {
  return Math.round(minor) / 10 ** currencyPlaces(currency);
}
/** A QuickBooks amount -> minor units of `currency`. */
export function amountToMinor(amount: number, currency: string): number {
  return Math.round(amount * 10 ** currencyPlaces(currency));
}

/** Cents -> QuickBooks-style decimal number (QuickBooks sends JSON numbers with 2 places). */
export function centsToAmount(cents: number): number {
  return Math.round(cents) / 100;
}
export function amountToCents(amount: number): number {
  return Math.round(amount * 100);
}
