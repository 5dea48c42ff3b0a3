/**
 * Zod schemas for DialNexa's call object and post-call analysis (docs/product.md §3). Each field is
 * declared as what DialNexa may send (strings, numbers, nulls) and coerced to the shape the domain
 * uses: integer minor units with a currency, ISO dates, lower-case enums. Unknown keys are dropped
 * (zod strips them), so nothing we did not ask for reaches a workflow. The same schemas generate the
 * OpenAPI document, so the documentation cannot drift from what is enforced.
 */
import { currencyExponent } from '../domain/money';
import { ACCEPTED_CURRENCIES } from '../domain/currencies';
import { z } from 'zod';
import { readAmount, toIsoDate, toIsoDateOrTimestamp, toIsoTimestamp, toMinorUnits, type SpokenAmount } from './spoken-values';
import {
  CASE_TYPES,
  SENSITIVE_CATEGORIES,
  type BillingFields,
  type CaseType,
  type Money,
  type PostalAddress,
  type SensitiveCategory,
} from '../domain/case';

/** Longest free-text field accepted (characters); longer values are a sign of a mis-mapped field. */
export const MAX_FIELD_CHARS = 2000;
/** Longest transcript accepted before suppression (the stored one is capped much lower). */
export const MAX_TRANSCRIPT_CHARS = 500_000;

const blank = (v: string | null | undefined): string | undefined => (v == null || v.trim() === '' ? undefined : v.trim());
/** Lower-case snake_case, so `Refund Request` and `refund-request` name the same thing. */
const snake = (v: string) =>
  v
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

const text = (description: string, max = MAX_FIELD_CHARS) =>
  z
    .string()
    .nullish()
    .transform(blank)
    .pipe(z.string().max(max, `must be at most ${max} characters`).optional())
    .meta({ description });

const httpUrl = (description: string) =>
  z
    .string()
    .nullish()
    .transform(blank)
    .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional())
    .meta({ description, format: 'uri' });

const lowerText = (description: string) =>
  z
    .string()
    .nullish()
    .transform((v) => blank(v)?.toLowerCase())
    .pipe(z.string().max(100, 'must be at most 100 characters').optional())
    .meta({ description });

// ---- dates -------------------------------------------------------------------------------------

const isoDate = (description: string, convert: (v: string) => string | undefined, expected: string) =>
  z
    .string()
    .nullish()
    .transform((v, ctx) => {
      const s = blank(v);
      if (s === undefined) return undefined;
      const out = convert(s);
      if (out === undefined) ctx.issues.push({ code: 'custom', message: `must be ${expected}, got "${s.slice(0, 40)}"`, input: v });
      return out;
    })
    .meta({ description, format: 'date' });

// ---- money -------------------------------------------------------------------------------------

const CURRENCIES = ACCEPTED_CURRENCIES;

const amountWire = (description: string) =>
  z
    .union([z.number(), z.string()])
    .nullish()
    .transform((v, ctx) => {
      if (v == null || (typeof v === 'string' && v.trim() === '')) return undefined;
      const a = readAmount(v);
      if (!a)
        ctx.issues.push({
          code: 'custom',
          message: `must be a non-negative amount such as 12.50 or "12.50", got ${JSON.stringify(v).slice(0, 40)}`,
          input: v,
        });
      return a;
    })
    .meta({ description });

// ---- enums and lists ---------------------------------------------------------------------------

/** An intent as DialNexa names it: a case type, or `none`. */
export const INTENTS = [...CASE_TYPES, 'none'] as const;
export type Intent = (typeof INTENTS)[number];
const intentEnum = z.enum(INTENTS, { error: (i) => `must be one of ${INTENTS.join(', ')}; got ${JSON.stringify(i.input)}` });
const categoryEnum = z.enum(SENSITIVE_CATEGORIES, {
  error: (i) => `must be one of ${SENSITIVE_CATEGORIES.join(', ')}; got ${JSON.stringify(i.input)}`,
});

/** A list, or a comma-separated string (extraction tools produce both). */
const listOf = <T extends string>(item: z.ZodType<T, string>, description: string) =>
  z
    .union([z.array(z.string()), z.string()])
    .nullish()
    .transform((v) => (v == null ? [] : (Array.isArray(v) ? v : v.split(',')).map(snake).filter(Boolean)))
    .pipe(z.array(item))
    .meta({ description });

const confidence = z
  .union([z.number(), z.string()])
  .nullish()
  .transform((v, ctx) => {
    if (v == null || (typeof v === 'string' && v.trim() === '')) return undefined;
    const s = typeof v === 'string' ? v.trim() : v;
    const n = typeof s === 'string' && s.endsWith('%') ? Number(s.slice(0, -1)) / 100 : Number(s);
    if (!Number.isFinite(n) || n < 0 || n > 1) {
      ctx.issues.push({
        code: 'custom',
        message: `must be a number between 0 and 1 (or a percentage), got ${JSON.stringify(v)}`,
        input: v,
      });
      return undefined;
    }
    return n;
  })
  .meta({ description: 'Confidence of the billing intent, 0..1 (a percentage string like "85%" is accepted).' });

const yesNo = z
  .union([z.boolean(), z.string()])
  .nullish()
  .transform((v, ctx) => {
    if (v == null || typeof v === 'boolean') return v ?? undefined;
    const s = v.trim().toLowerCase();
    if (s === '') return undefined;
    if (['true', 'yes', 'y', '1'].includes(s)) return true;
    if (['false', 'no', 'n', '0'].includes(s)) return false;
    ctx.issues.push({ code: 'custom', message: `must be true or false, got ${JSON.stringify(v)}`, input: v });
    return undefined;
  })
  .meta({ description: 'The caller asked for a credit (credit memo) instead of money back.' });

const address = z
  .object({
    line1: z.string().trim().min(1, 'is required').max(200),
    line2: text('Second address line.', 200),
    city: z.string().trim().min(1, 'is required').max(100),
    region: text('State, province or region.', 100),
    postal_code: z.string().trim().min(1, 'is required').max(20),
    country: z
      .string()
      .trim()
      .min(2, 'is required')
      .max(60)
      .transform((c) => (c.length === 2 ? c.toUpperCase() : c)),
  })
  .nullish()
  .transform((a): PostalAddress | undefined =>
    a ? { line1: a.line1, line2: a.line2, city: a.city, region: a.region, postalCode: a.postal_code, country: a.country } : undefined,
  )
  .meta({ description: 'New billing address (billing_details_correction).' });

// ---- post-call analysis ------------------------------------------------------------------------

/** Post-call analysis as DialNexa sends it (docs/product.md §3). Unknown keys are dropped. */
export const postCallAnalysisSchema = z
  .object({
    billing_intent: z
      .string()
      .nullish()
      .transform((v) => (blank(v) === undefined ? undefined : snake(v as string)))
      .pipe(intentEnum.optional())
      .meta({ description: 'A case type, or none.' }),
    billing_intents: listOf(intentEnum, 'Several intents in one call (a list or a comma-separated string).'),
    intent_confidence: confidence,
    customer_name: text('Caller or customer name (personal data: never logged or indexed).'),
    account_id: text('Customer account id, e.g. ACME-001.', 100),
    customer_email: z
      .string()
      .nullish()
      .transform((v) => blank(v)?.toLowerCase())
      .pipe(z.email({ error: 'must be an email address' }).optional())
      .meta({ description: 'Email the caller gave (personal data).' }),
    customer_phone: text('Phone number the caller gave (personal data).', 40),
    invoice_number: text('Invoice number, e.g. INV-1001.', 100),
    payment_id: text('Payment id.', 100),
    subscription_id: text('Subscription id.', 100),
    tax_region: text('Tax region, e.g. CA or DE (never a tax identifier).', 100),
    customer_tier: lowerText('Customer tier, e.g. vip.'),
    amount: amountWire(
      'Amount the call is about: a number or decimal string, optionally with a currency code or symbol ("$12.50", "40 EUR").',
    ),
    currency: z
      .string()
      .nullish()
      .transform((v) => blank(v)?.toUpperCase())
      .pipe(
        z
          .string()
          .refine((c) => CURRENCIES.has(c), { error: (i) => `must be an ISO 4217 currency code, got ${JSON.stringify(i.input)}` })
          .optional(),
      )
      .meta({ description: 'ISO 4217 currency code of amount.' }),
    due_date: isoDate('Due date (YYYY-MM-DD, or an ISO timestamp).', toIsoDate, 'an ISO date (YYYY-MM-DD)'),
    payment_status: lowerText('Payment status as the caller or the agent described it.'),
    refund_reason: text('Why the caller wants a refund.'),
    dispute_reason: text('Why the caller disputes a charge.'),
    credit_request: yesNo,
    payment_platform: lowerText('Where the account pays: quickbooks, skyfire, ...'),
    approval_threshold: amountWire('Approval threshold named in the call, in the currency of amount.'),
    finance_owner: text('Owner of the next step (an id such as a Slack user id is preferred).', 200),
    escalation_reason: text('Why this needs escalation.'),
    promised_next_step: text('What the agent or the caller promised to do next.'),
    follow_up_deadline: isoDate(
      'Follow-up deadline (ISO date or timestamp with offset).',
      toIsoDateOrTimestamp,
      'an ISO date or timestamp with a time zone',
    ),
    new_billing_address: address,
    transcript_url: httpUrl('Link to the transcript.'),
    crm_url: httpUrl('Link to the CRM record.'),
    support_ticket: text('Support ticket id or link.', 500),
    payment_platform_url: httpUrl('Link to the payment platform record.'),
    sensitive_data: listOf(
      categoryEnum,
      'Sensitive data DialNexa flagged in the call: card_number, bank_details, tax_identifier, private_document.',
    ),
  })
  // Runs even when other fields failed (`when`), so one answer names every bad field; values of
  // failed fields may be missing or raw here, hence the defensive checks.
  .superRefine(
    (a, ctx) => {
      const spoken = (v: unknown): SpokenAmount | undefined =>
        typeof v === 'object' && v !== null && 'whole' in v ? (v as SpokenAmount) : undefined;
      const amount = spoken(a.amount);
      const declared = typeof a.currency === 'string' ? a.currency : undefined;
      if (declared !== undefined && !CURRENCIES.has(declared)) return; // already reported on currency
      if (amount?.currency && declared && amount.currency !== declared) {
        ctx.addIssue({ code: 'custom', path: ['currency'], message: `is ${declared} but amount says ${amount.currency}` });
        return;
      }
      const currency = amount?.currency ?? declared;
      for (const key of ['amount', 'approval_threshold'] as const) {
        const v = spoken(a[key]);
        if (!v) continue;
        if (!currency) {
          ctx.addIssue({ code: 'custom', path: ['currency'], message: `is required with ${key} (an ISO 4217 code such as USD)` });
          return;
        }
        if (v.currency && v.currency !== currency)
          ctx.addIssue({ code: 'custom', path: [key], message: `is in ${v.currency}, but the call's currency is ${currency}` });
        else if (!CURRENCIES.has(currency)) ctx.addIssue({ code: 'custom', path: [key], message: `has an unknown currency ${currency}` });
        else if (toMinorUnits(v, currency) === undefined)
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `has more decimal places than ${currency} allows (${currency} has ${currencyExponent(currency)})`,
          });
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  )
  .transform((a) => {
    const currency = a.amount?.currency ?? a.currency;
    const money = (v: SpokenAmount | undefined): Money | undefined =>
      v && currency ? { amountMinor: toMinorUnits(v, currency) as number, currency } : undefined;
    const intents = [...new Set<Intent>([...(a.billing_intent ? [a.billing_intent] : []), ...a.billing_intents])];
    const fields: BillingFields = {
      customerName: a.customer_name,
      accountId: a.account_id,
      customerEmail: a.customer_email,
      customerPhone: a.customer_phone,
      invoiceNumber: a.invoice_number,
      paymentId: a.payment_id,
      subscriptionId: a.subscription_id,
      taxRegion: a.tax_region,
      customerTier: a.customer_tier,
      amount: money(a.amount),
      dueDate: a.due_date,
      paymentStatus: a.payment_status,
      refundReason: a.refund_reason,
      disputeReason: a.dispute_reason,
      creditRequest: a.credit_request,
      paymentPlatform: a.payment_platform,
      approvalThresholdMinor: money(a.approval_threshold)?.amountMinor,
      financeOwner: a.finance_owner,
      escalationReason: a.escalation_reason,
      promisedNextStep: a.promised_next_step,
      followUpDeadline: a.follow_up_deadline,
      newBillingAddress: a.new_billing_address,
      crmUrl: a.crm_url,
      supportTicket: a.support_ticket,
      paymentPlatformUrl: a.payment_platform_url,
    };
    return {
      /** Named intents, `none` included (classification decides what it means). */
      intents,
      intentConfidence: a.intent_confidence,
      sensitiveFlags: [...new Set(a.sensitive_data)] as SensitiveCategory[],
      transcriptUrl: a.transcript_url,
      fields: dropUndefined(fields),
    };
  })
  .meta({ description: 'Post-call analysis keys (docs/product.md §3). Unknown keys are ignored.' });

export type PostCallAnalysis = z.output<typeof postCallAnalysisSchema>;

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// ---- the call ----------------------------------------------------------------------------------

/** A call id goes into workflow ids and search attributes: a bounded, printable token. */
export const CALL_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** A transcript: text, or the list of turns some DialNexa views return. */
const transcript = z
  .union([
    z.string(),
    z.array(
      z.object({
        role: z.string().optional(),
        speaker: z.string().optional(),
        content: z.string().optional(),
        text: z.string().optional(),
      }),
    ),
  ])
  .nullish()
  .transform((t) => {
    if (t == null) return undefined;
    const s =
      typeof t === 'string'
        ? t
        : t.map((turn) => `${turn.speaker ?? turn.role ?? 'speaker'}: ${turn.content ?? turn.text ?? ''}`).join('\n');
    return blank(s);
  })
  .pipe(z.string().max(MAX_TRANSCRIPT_CHARS, `must be at most ${MAX_TRANSCRIPT_CHARS} characters`).optional())
  .meta({ description: 'Speaker-labelled transcript (text, or a list of {role|speaker, content|text} turns).' });

const timestamp = (description: string) => isoDate(description, toIsoTimestamp, 'an ISO timestamp with a time zone');

/** The call object DialNexa sends when a call has ended (`payload.call`). Phone numbers are dropped. */
export const callSchema = z
  .object({
    id: z
      .string({ error: 'is required (the DialNexa call id)' })
      .trim()
      .regex(CALL_ID_RE, 'must be 1-128 letters, digits, or _ . : - (a DialNexa call id such as call_x9y3zp4mq7r1)')
      .meta({ description: 'DialNexa call id; the idempotency key.' }),
    agent_id: text('DialNexa agent id.', 200),
    direction: z
      .string()
      .nullish()
      .transform((v) => blank(v)?.toLowerCase())
      .pipe(z.enum(['inbound', 'outbound'], { error: 'must be inbound or outbound' }).optional())
      .meta({ description: 'inbound or outbound' }),
    status: lowerText('Call status; only completed calls become cases.'),
    duration: z
      .union([z.number(), z.string()])
      .nullish()
      .transform((v, ctx) => {
        if (v == null || v === '') return undefined;
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0)
          ctx.issues.push({ code: 'custom', message: `must be a number of seconds, got ${JSON.stringify(v)}`, input: v });
        return n;
      })
      .meta({ description: 'Call duration in seconds.' }),
    transcript,
    summary: text('DialNexa summary of the call.', 10_000),
    recording_url: httpUrl('Pre-signed recording link (expires after 7 days).'),
    initiated_at: timestamp('When the call started.'),
    started_at: timestamp('When the call started.'),
    ended_at: timestamp('When the call ended.'),
    post_call_analysis: postCallAnalysisSchema.nullish(),
  })
  .meta({ description: 'The DialNexa call object of a finished call. Keys not listed (phone numbers among them) are ignored.' });

export type ParsedCall = z.output<typeof callSchema>;

/** A zod issue rendered for the API: which field (a dotted path from the body's root) and why. */
export interface FieldError {
  field: string;
  message: string;
}

/** Flattens zod issues into field errors, prefixed with where the call sits in the envelope. */
export function fieldErrors(error: z.ZodError, prefix: (string | number)[]): FieldError[] {
  return error.issues.map((i) => ({ field: [...prefix, ...i.path].map(String).join('.') || '(body)', message: i.message }));
}

/** For tests and classification: the case-type intents among the named ones (`none` removed). */
export function caseIntents(intents: Intent[]): CaseType[] {
  return intents.filter((i): i is CaseType => i !== 'none');
}
