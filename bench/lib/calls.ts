/**
 * DialNexa calls for the benchmark, built from the shared fixtures (test/fixtures/calls) with a
 * fresh call id each, signed the way DialNexa signs them, and posted to the service's webhook.
 */
import fs from 'node:fs';
import path from 'node:path';
import { signDialNexaBody } from '../../src/intake/signature';
import { freshDelivery } from '../../scripts/call-fixture';

const FIXTURES = path.join(__dirname, '..', '..', 'test', 'fixtures', 'calls');

type Json = Record<string, unknown>;

/** The call shapes the benchmark sends. */
export const CallKind = {
  /** Refund inside the automation policy: small, a duplicate charge, high confidence, on an invoice of its own that QuickBooks shows paid twice (seedBenchInvoice). */
  AutoRefund: 'auto_refund',
  /** The fixture's 450.00 USD refund: above the automation limit, so it waits for a Slack approval. */
  ReviewRefund: 'review_refund',
  /** Invoice resend to the email on file: runs without a person. */
  InvoiceResend: 'invoice_resend',
} as const;
export type CallKind = (typeof CallKind)[keyof typeof CallKind];

export class WebhookError extends Error {
  override name = 'WebhookError';
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`webhook answered ${status}: ${body.slice(0, 300)}`);
  }
}

const cache = new Map<string, Json>();
function load(name: string): Json {
  let f = cache.get(name);
  if (!f) {
    f = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Json;
    cache.set(name, f);
  }
  return freshDelivery(structuredClone(f));
}

/** A signed-ready call body; `tag` makes call ids (and so workflow ids) unique per run. */
export function buildCall(kind: CallKind, tag: string, seq: number, opts: { ownInvoice?: boolean } = {}): { callId: string; raw: Buffer } {
  const body = load(kind === CallKind.InvoiceResend ? 'invoice_resend' : 'refund_request') as {
    payload: { call: Json & { post_call_analysis: Json } };
  };
  const callId = `call_b${tag}${seq.toString(36)}`;
  const call = body.payload.call;
  call.id = callId;
  if (kind === CallKind.ReviewRefund && opts.ownInvoice) call.post_call_analysis.invoice_number = benchInvoiceNumber(callId);
  if (kind === CallKind.AutoRefund) {
    // An invoice of its own (seedBenchInvoice): a refund is automated only against a named invoice
    // with no earlier refund that QuickBooks shows paid twice (the duplicate charge's evidence), and
    // the money path serializes money per invoice.
    Object.assign(call.post_call_analysis, {
      amount: '20.00',
      refund_reason: 'duplicate_charge',
      intent_confidence: 0.95,
      invoice_number: benchInvoiceNumber(callId),
    });
  }
  return { callId, raw: Buffer.from(JSON.stringify(body)) };
}

/** The invoice an automated-refund call of the benchmark refunds. */
export function benchInvoiceNumber(callId: string): string {
  return `INV-B-${callId}`;
}

/**
 * Creates that invoice in the sandbox's QuickBooks, paid twice by Acme (harness set-up: local
 * requests): an automated refund of a duplicate charge needs QuickBooks to show the second payment.
 * The first payment is a QuickBooks Payments charge, so the refund goes back to the card and
 * completes unattended (a payment QuickBooks only recorded would wait for finance's confirmation).
 */
export async function seedBenchInvoice(sandboxUrl: string, callId: string, totalMinor = 2000): Promise<void> {
  await seedPaidInvoice(sandboxUrl, { docNumber: benchInvoiceNumber(callId), customerId: '101', totalMinor, duplicatePayment: true });
}

/**
 * A paid invoice (with its payment) in the sandbox's QuickBooks, for a seed customer or account id.
 * `duplicatePayment`: paid twice (a second payment of its total), the evidence a refund of a
 * duplicate charge is automated on; without it a person decides such a refund.
 * `paidBy`: `card` (the default) makes the payment a QuickBooks Payments charge of the total (the
 * charge is created in the sandbox's Payments API first, and the Payment carries it as its
 * CCTransId), so a refund of it goes back to the card and completes on its own; `recorded` is a
 * payment QuickBooks only recorded (a check, a bank transfer), whose refund a person owns and
 * finance confirms ("Money returned") before the customer is told.
 */
export async function seedPaidInvoice(
  sandboxUrl: string,
  invoice: { docNumber: string; totalMinor: number; duplicatePayment?: boolean; paidBy?: 'card' | 'recorded'; currency?: string } & (
    { customerId: string } | { accountId: string }
  ),
): Promise<{ ccTransId?: string }> {
  const { paidBy = 'card', currency, ...body } = invoice;
  let ccTransId: string | undefined;
  if (paidBy === 'card') {
    const charge = await fetch(`${sandboxUrl}/_sandbox/quickbooks-payments/charges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: `CH${invoice.docNumber.replace(/[^A-Za-z0-9]/g, '')}`,
        amountMinor: invoice.totalMinor,
        currency: currency ?? 'USD',
      }),
    });
    if (!charge.ok) throw new Error(`seeding the charge of ${invoice.docNumber}: ${charge.status} ${await charge.text()}`);
    ccTransId = ((await charge.json()) as { id: string }).id;
  }
  const res = await fetch(`${sandboxUrl}/_sandbox/quickbooks/invoices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, ...(ccTransId ? { ccTransId } : {}) }),
  });
  if (!res.ok) throw new Error(`seeding ${invoice.docNumber}: ${res.status} ${await res.text()}`);
  return ccTransId ? { ccTransId } : {};
}

export interface Accepted {
  callId: string;
  cases: { caseType: string; workflowId: string; status: 'started' | 'existing' }[];
}

/** Posts one signed call; resolves with the 202 answer, throws WebhookError otherwise. */
export async function postCall(apiUrl: string, secret: string, raw: Buffer): Promise<Accepted> {
  const res = await fetch(`${apiUrl}/webhooks/dialnexa`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-dialnexa-signature': signDialNexaBody(raw, secret) },
    body: raw,
  });
  const text = await res.text();
  if (res.status !== 202) throw new WebhookError(res.status, text);
  return JSON.parse(text) as Accepted;
}
