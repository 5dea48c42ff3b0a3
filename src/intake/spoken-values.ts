/**
 * Dates and amounts as DialNexa's extraction writes what a caller said (docs/product.md §3):
 * `2026-03-01` or a timestamp with an offset; `12.5`, `"$1,250.00"`, `"40 EUR"`. Read into the
 * domain's shapes (ISO dates, integer minor units); undefined for anything that is not one, so the
 * schema (./schema.ts) can name the field. Pure.
 */
import { currencyExponent } from '../domain/money';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

function isCalendarDate(v: string): boolean {
  const m = DATE_RE.exec(v);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** `YYYY-MM-DD`, or a timestamp reduced to its (UTC) date. */
export function toIsoDate(v: string): string | undefined {
  if (isCalendarDate(v)) return v;
  if (DATETIME_RE.test(v) && isCalendarDate(v.slice(0, 10))) {
    const t = Date.parse(v.replace(' ', 'T'));
    return Number.isNaN(t) ? undefined : new Date(t).toISOString().slice(0, 10);
  }
  return undefined;
}

/** A date stays a date; a timestamp with an offset becomes a UTC ISO timestamp. */
export function toIsoDateOrTimestamp(v: string): string | undefined {
  if (isCalendarDate(v)) return v;
  if (DATETIME_RE.test(v) && isCalendarDate(v.slice(0, 10))) {
    const t = Date.parse(v.replace(' ', 'T'));
    return Number.isNaN(t) ? undefined : new Date(t).toISOString();
  }
  return undefined;
}

/** A timestamp with a time zone (a date alone is not one), as a UTC ISO timestamp. */
export function toIsoTimestamp(v: string): string | undefined {
  return DATETIME_RE.test(v) ? toIsoDateOrTimestamp(v) : undefined;
}

const SYMBOLS: Record<string, string> = { $: 'USD', '€': 'EUR', '£': 'GBP', '¥': 'JPY' };
const AMOUNT_RE = /^(?:([A-Za-z]{3})\s*)?([$€£¥])?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*([A-Za-z]{3})?$/;

/** An amount as DialNexa's extraction wrote it: digits, an optional currency code or symbol. */
export interface SpokenAmount {
  whole: string;
  fraction: string;
  currency?: string;
}

/** Reads `12.5`, `"12.50"`, `"$1,250.00"`, `"40 EUR"`; undefined when it is not an amount. */
export function readAmount(v: number | string): SpokenAmount | undefined {
  let s: string;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) return undefined;
    // Number → shortest round-trip decimal; exponent notation (1e21, 1e-7) is not an amount anyone said.
    s = String(v);
    if (/e/i.test(s)) return undefined;
  } else s = v.trim();
  const m = AMOUNT_RE.exec(s);
  if (!m) return undefined;
  const codes = [m[1]?.toUpperCase(), m[2] ? SYMBOLS[m[2]] : undefined, m[5]?.toUpperCase()].filter((c): c is string => !!c);
  if (new Set(codes).size > 1) return undefined;
  return { whole: m[3].replace(/,/g, ''), fraction: m[4] ?? '', currency: codes[0] };
}

/** Integer minor units; undefined when the amount has more decimals than the currency allows. */
export function toMinorUnits(amount: SpokenAmount, currency: string): number | undefined {
  const exp = currencyExponent(currency);
  const fraction = amount.fraction.replace(/0+$/, '');
  if (fraction.length > exp) return undefined;
  const minor = Number(amount.whole + fraction.padEnd(exp, '0'));
  return Number.isSafeInteger(minor) ? minor : undefined;
}
