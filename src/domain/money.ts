/**
 * Money in integer minor units by each currency's ISO 4217 exponent (JPY 0, USD 2, KWD 3): the
 * one place that knows how many decimals a currency has, for the intake, the policy, the
 * connectors' decimal strings and every display. Pure and deterministic (workflows use it too), so
 * the exponents are a table here rather than whatever ICU build the runtime ships.
 */
import type { Money } from './case';

/**
 * ISO 4217 (list one, current): currencies whose minor unit is not 2 decimals. Everything else
 * that is a well-formed code has 2. Sources: the ISO 4217 maintenance agency's table A.1.
 */
const EXPONENT_0 = ['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'];
const EXPONENT_3 = ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'];
const EXPONENT_4 = ['CLF', 'UYW'];
const EXPONENTS: ReadonlyMap<string, number> = new Map([
  ...EXPONENT_0.map((c) => [c, 0] as const),
  ...EXPONENT_3.map((c) => [c, 3] as const),
  ...EXPONENT_4.map((c) => [c, 4] as const),
]);

export const CURRENCY_CODE = /^[A-Z]{3}$/;

/** Decimal places of a currency's minor unit. Throws on anything that is not a three-letter code. */
export function currencyExponent(currency: string): number {
  if (!CURRENCY_CODE.test(currency)) throw new RangeError(`not an ISO 4217 currency code: ${JSON.stringify(currency)}`);
  return EXPONENTS.get(currency) ?? 2;
}

export type Rounding = 'exact' | 'half-up' | 'floor';

/**
 * A decimal amount in major units (a string such as "120.50", or a JSON number as QuickBooks sends)
 * -> integer minor units of `currency`. `exact` (the default) refuses more decimals than the
 * currency has; `half-up` rounds half away from zero; `floor` never reports more than is there
 * (balances).
 */
export function toMinorUnits(amount: number | string, currency: string, rounding: Rounding = 'exact'): number {
  const exp = currencyExponent(currency);
  // A JSON number: its shortest round-trip decimal (0.1 + 0.2 reads as 0.30000000000000004).
  const s = typeof amount === 'number' ? numberToDecimal(amount) : amount.trim();
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) throw new RangeError(`not a decimal amount: ${JSON.stringify(s)}`);
  const [, sign, whole, rawFraction = ''] = m;
  const fraction = rawFraction.replace(/0+$/, '');
  let minor = BigInt(whole + fraction.slice(0, exp).padEnd(exp, '0'));
  const rest = fraction.slice(exp);
  if (rest.length > 0) {
    if (rounding === 'exact') throw new RangeError(`${s} has more decimal places than ${currency} allows (${exp})`);
    if (rounding === 'half-up' && Number(rest[0]) >= 5) minor += 1n;
  }
  const n = Number(minor);
  if (!Number.isSafeInteger(n)) throw new RangeError(`amount out of range: ${s}`);
  return sign && n !== 0 ? -n : n;
}

/** Minor units -> the decimal string with exactly the currency's places: 12000 USD -> "120.00", 5000 JPY -> "5000", 4999 KWD -> "4.999". */
export function toMajorDecimal(amountMinor: number, currency: string): string {
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError('amountMinor must be a safe integer');
  const exp = currencyExponent(currency);
  const digits = String(Math.abs(amountMinor)).padStart(exp + 1, '0');
  const whole = digits.slice(0, digits.length - exp);
  const fraction = digits.slice(digits.length - exp);
  return `${amountMinor < 0 ? '-' : ''}${whole}${exp > 0 ? `.${fraction}` : ''}`;
}

/** `USD 1,250.00`, `JPY 5,000`, `KWD 4.999`: for people (Slack, notes, mail). No floating point. */
export function formatMoney(amountMinor: number, currency: string): string {
  const plain = toMajorDecimal(Math.trunc(amountMinor), currency);
  const [whole, fraction] = plain.replace('-', '').split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${currency} ${amountMinor < 0 ? '-' : ''}${grouped}${fraction !== undefined ? `.${fraction}` : ''}`;
}

export function money(amountMinor: number, currency: string): Money {
  return { amountMinor, currency };
}

function numberToDecimal(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`not a decimal amount: ${v}`);
  const s = String(v);
  if (!/e/i.test(s)) return s;
  // Exponent notation: tiny or huge. toFixed(20) is exact enough for amounts below 1e21.
  if (Math.abs(v) >= 1e21) throw new RangeError(`amount out of range: ${s}`);
  return v.toFixed(20).replace(/\.?0+$/, '');
}
