/**
 * DialNexa calls for the reliability tests, built from the shared refund fixture with a unique call
 * id per call (so runs and tests never collide), and the PII corpus: sensitive values planted in
 * every free-text field a caller or the agent can fill.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { seedPaidInvoice } from '../../bench/lib/calls';
import { freshDelivery } from '../../scripts/call-fixture';

type Json = Record<string, unknown>;
const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'calls', 'refund_request.json');

export function runTag(): string {
  return randomBytes(4).toString('hex');
}

/**
 * A refund call. Defaults: a small automatable refund on ACME-001 of an invoice of its own
 * (`refundInvoiceNumber`), which `seedRefundInvoices` creates paid: a refund is automated only
 * against a named, paid invoice with no earlier refund. `invoiceNumber: null` names none.
 */
export function refundCall(
  callId: string,
  opts: { accountId?: string; amount?: string; invoiceNumber?: string | null; confidence?: number } = {},
): Json {
  const body = freshDelivery(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Json);
  const call = (body.payload as Json).call as Json;
  call.id = callId;
  const pca = call.post_call_analysis as Json;
  pca.account_id = opts.accountId ?? 'ACME-001';
  pca.amount = opts.amount ?? '12.00';
  // The seed's Skyfire-paying accounts say so on the call too.
  pca.payment_platform = pca.account_id === 'UMBRELLA-004' || pca.account_id === 'GLOBEX-002' ? 'skyfire' : 'quickbooks';
  pca.intent_confidence = opts.confidence ?? 0.93;
  delete pca.payment_id;
  if (opts.invoiceNumber === null) delete pca.invoice_number;
  else pca.invoice_number = opts.invoiceNumber ?? refundInvoiceNumber(callId);
  call.summary = `Acme Corp asks for a ${pca.amount} USD refund of a duplicate charge.`;
  call.transcript = `agent: Acme billing support.\ncaller: We were charged twice, please refund ${pca.amount} dollars.\nagent: Done, you will get a confirmation.`;
  return body;
}

/** The invoice a reliability refund call refunds by default. */
export function refundInvoiceNumber(callId: string): string {
  return `INV-R-${callId}`;
}

/**
 * Creates, in the sandbox's QuickBooks, the paid invoice each refund call names by default (its
 * account's, paid in full, twice: the refund's amount). Harness set-up, before the calls are posted.
 */
export async function seedRefundInvoices(sandboxUrl: string, bodies: (Json | string)[]): Promise<void> {
  for (const b of bodies) {
    const body = (typeof b === 'string' ? JSON.parse(b) : b) as Json;
    const call = (body.payload as Json).call as Json;
    const pca = call.post_call_analysis as Json;
    if (pca.invoice_number !== refundInvoiceNumber(String(call.id))) continue;
    await seedPaidInvoice(sandboxUrl, {
      docNumber: String(pca.invoice_number),
      accountId: String(pca.account_id),
      totalMinor: Math.round(Number(pca.amount) * 100),
      // Paid twice: the refunds are for a duplicate charge and are expected to be automated, which
      // needs QuickBooks to show the second payment (src/policy/refund.ts REASON_EVIDENCE). The first
      // payment is a QuickBooks Payments charge (the helper's default), so the refund goes back to the
      // card and completes unattended; paid any other way it would wait for finance's "Money returned".
      duplicatePayment: true,
      paidBy: 'card',
      ...(typeof pca.currency === 'string' ? { currency: pca.currency } : {}),
    });
  }
}

/**
 * Sensitive values, each valid for its kind (Luhn-valid cards, IBANs with correct check digits,
 * an ABA routing number with a valid checksum). None of them may appear anywhere downstream.
 */
export const PII_VALUES: { kind: string; value: string }[] = [
  { kind: 'card (visa)', value: '4111 1111 1111 1111' },
  { kind: 'card (mastercard)', value: '5500-0000-0000-0004' },
  { kind: 'card (amex)', value: '3782 822463 10005' },
  { kind: 'card (plain)', value: '4012888888881881' },
  { kind: 'iban (DE)', value: 'DE89 3704 0044 0532 0130 00' },
  { kind: 'iban (GB)', value: 'GB82WEST12345698765432' },
  { kind: 'routing number', value: '021000021' },
  { kind: 'account number', value: '000123456789' },
  { kind: 'ssn', value: '536-22-8410' },
  { kind: 'ein', value: '94-1081436' },
  { kind: 'vat (DE)', value: 'DE136695976' },
  { kind: 'vat (GB)', value: 'GB 123 4567 89' },
  // Card data besides the number (issue 24 §2), each with the words that make it card data.
  { kind: 'card security code', value: 'CVV 7391' },
  { kind: 'card expiry', value: 'expiry 11/29' },
  { kind: 'pin', value: 'PIN 4931' },
  { kind: 'track data (1)', value: '%B5105105105105100^DOE/JANE^29111010000000000?' },
  { kind: 'track data (2)', value: ';4222222222222=29111010000?' },
];

/** One sentence carrying every sensitive value, as a caller might read them out. */
export function piiSentence(): string {
  const v = Object.fromEntries(PII_VALUES.map((p) => [p.kind, p.value]));
  return (
    `My card is ${v['card (visa)']}, the other one ${v['card (mastercard)']}, amex ${v['card (amex)']} or ${v['card (plain)']}. ` +
    `Bank IBAN ${v['iban (DE)']} and ${v['iban (GB)']}, routing ${v['routing number']} account ${v['account number']}. ` +
    `SSN ${v.ssn}, EIN ${v.ein}, VAT ${v['vat (DE)']} and ${v['vat (GB)']}. ` +
    `On the card: ${v['card security code']}, ${v['card expiry']}, ${v.pin}; swiped ${v['track data (1)']} and ${v['track data (2)']}.`
  );
}

/** Free-text fields of the call and its analysis with their length limits (src/intake/schema.ts). */
export const FREE_TEXT_FIELDS: { field: string; max: number }[] = [
  { field: 'summary', max: 10_000 },
  { field: 'transcript', max: 10_000 },
  { field: 'post_call_analysis.customer_name', max: 1000 },
  { field: 'post_call_analysis.refund_reason', max: 1000 },
  { field: 'post_call_analysis.dispute_reason', max: 1000 },
  { field: 'post_call_analysis.escalation_reason', max: 1000 },
  { field: 'post_call_analysis.promised_next_step', max: 1000 },
  { field: 'post_call_analysis.support_ticket', max: 500 },
  { field: 'post_call_analysis.finance_owner', max: 200 },
  { field: 'agent_id', max: 200 },
  { field: 'post_call_analysis.tax_region', max: 100 },
  { field: 'post_call_analysis.payment_status', max: 100 },
  { field: 'post_call_analysis.customer_tier', max: 100 },
  { field: 'post_call_analysis.payment_platform', max: 100 },
];

/** The sensitive values packed into texts of at most `max` characters (every value in some text). */
function chunks(max: number): string[] {
  const whole = piiSentence();
  if (whole.length <= max) return [whole];
  const out: string[] = [];
  let cur = '';
  for (const p of PII_VALUES) {
    const piece = `${p.kind.split(' ')[0]} ${p.value}`;
    if (cur && cur.length + piece.length + 2 > max) {
      out.push(cur);
      cur = '';
    }
    cur = cur ? `${cur}, ${piece}` : piece;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * The PII corpus: for each free-text field, calls carrying every sensitive value in that field
 * (split over several calls where the field is short), plus one call with them in all long fields
 * at once. Amounts stay small so the refunds may run all the way to QuickBooks.
 */
export function piiCorpus(tag: string): { callId: string; body: Json; field: string }[] {
  const plan: { name: string; values: [string, string][] }[] = [];
  for (const { field, max } of FREE_TEXT_FIELDS) for (const text of chunks(max)) plan.push({ name: field, values: [[field, text]] });
  plan.push({ name: 'all long fields', values: FREE_TEXT_FIELDS.filter((f) => f.max >= 1000).map((f) => [f.field, piiSentence()]) });
  return plan.map(({ name, values }, i) => {
    const callId = `call_pii_${tag}_${i}`;
    const body = refundCall(callId);
    const call = (body.payload as Json).call as Json;
    for (const [f, text] of values) {
      const [head, tail] = f.split('.') as [string, string | undefined];
      const target = tail ? (call[head] as Json) : call;
      const key = tail ?? head;
      target[key] = f === 'summary' || f === 'transcript' ? `${String(target[key])} ${text}` : text;
    }
    return { callId, body, field: name };
  });
}

/** A short excerpt around the first place `value` shows up in `haystack` (for failure messages). */
export function piiContext(haystack: string, value: string): string {
  const lower = haystack.toLowerCase();
  let i = lower.indexOf(value.toLowerCase());
  if (i >= 0) return haystack.slice(Math.max(0, i - 40), i + value.length + 20);
  const compact = lower.replace(/[\s\-.]/g, '');
  i = compact.indexOf(value.toLowerCase().replace(/[\s\-.]/g, ''));
  return `(separators removed) ${compact.slice(Math.max(0, i - 40), i + value.length + 20)}`;
}

/** Where a sensitive value shows up in `haystack`: as written, or with its separators removed. */
export function findPii(haystack: string): { kind: string; value: string }[] {
  // Case-insensitive: some fields are lower-cased at intake (an IBAN would survive that).
  const lower = haystack.toLowerCase();
  const compact = lower.replace(/[\s\-.]/g, '');
  return PII_VALUES.filter((p) => lower.includes(p.value.toLowerCase()) || compact.includes(p.value.toLowerCase().replace(/[\s\-.]/g, '')));
}
