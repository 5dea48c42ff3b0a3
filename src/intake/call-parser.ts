/**
 * Parsing the call: a plain-code fast path for well-formed calls, zod (schema.ts) for everything
 * else. The zod schema stays the definition (OpenAPI, error messages); running it cost about a
 * third of the API's own CPU per webhook, most of it on calls that were valid all along. The fast
 * path applies the same normalisation and returns exactly what `callSchema` would; at the first
 * value it would have to reject (or does not recognise) it gives up and zod parses the call, so
 * every error answer still comes from the schema. test/unit/intake/call-parser.test.ts compares
 * the two over fixtures and per-field variants.
 */
import { z } from 'zod';
import { CASE_TYPES, SENSITIVE_CATEGORIES, type PostalAddress } from '../domain/case';
import {
  CALL_ID_RE,
  CURRENCIES,
  DATETIME_RE,
  MAX_FIELD_CHARS,
  MAX_TRANSCRIPT_CHARS,
  blank,
  callSchema,
  currencyIssues,
  readAmount,
  snake,
  toIsoDate,
  toIsoDateOrTimestamp,
  toPostCallAnalysis,
  type AnalysisFields,
  type ParsedCall,
  type SpokenAmount,
} from './schema';

/** Thrown inside the fast path: this call needs the schema (an error, or a shape not handled here). */
const NO = Symbol('use the schema');

const INTENT_SET: ReadonlySet<string> = new Set([...CASE_TYPES, 'none']);
const CATEGORY_SET: ReadonlySet<string> = new Set(SENSITIVE_CATEGORIES);
// The pattern z.email() checks by default, so the same addresses pass.
const EMAIL_RE = z.regexes.email;
const HTTP_PREFIX = /^https?:\/\//i;
const TAB_OR_NEWLINE = /[\t\n\r]/;

type Obj = Record<string, unknown>;
const isPlainObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** z.string().nullish() then blank(): null/undefined/blank → undefined; anything but a string → schema. */
function optString(v: unknown): string | undefined {
  if (v == null) return undefined;
  if (typeof v !== 'string') throw NO;
  return blank(v);
}

function text(v: unknown, max = MAX_FIELD_CHARS): string | undefined {
  const s = optString(v);
  if (s !== undefined && s.length > max) throw NO;
  return s;
}

function lowerText(v: unknown): string | undefined {
  const s = optString(v)?.toLowerCase();
  if (s !== undefined && s.length > 100) throw NO;
  return s;
}

/** httpUrl(): an absolute http(s) URL, kept as sent (zod does not normalise it). */
function httpUrl(v: unknown): string | undefined {
  const s = optString(v);
  if (s === undefined) return undefined;
  // Tabs and newlines zod would strip from the value: leave such links to the schema.
  if (!HTTP_PREFIX.test(s) || TAB_OR_NEWLINE.test(s) || !URL.canParse(s)) throw NO;
  return s;
}

function date(v: unknown, convert: (s: string) => string | undefined): string | undefined {
  const s = optString(v);
  if (s === undefined) return undefined;
  const out = convert(s);
  if (out === undefined) throw NO;
  return out;
}

const timestamp = (s: string) => (DATETIME_RE.test(s) ? toIsoDateOrTimestamp(s) : undefined);

function amount(v: unknown): SpokenAmount | undefined {
  if (v == null || (typeof v === 'string' && v.trim() === '')) return undefined;
  if (typeof v !== 'number' && typeof v !== 'string') throw NO;
  return readAmount(v) ?? fail();
}

function list(v: unknown, allowed: ReadonlySet<string>): string[] {
  if (v == null) return [];
  let items: unknown[];
  if (typeof v === 'string') items = v.split(',');
  else if (Array.isArray(v)) items = v;
  else throw NO;
  const out: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') throw NO;
    const s = snake(item);
    if (!s) continue;
    if (!allowed.has(s)) throw NO;
    out.push(s);
  }
  return out;
}

function confidence(v: unknown): number | undefined {
  if (v == null || (typeof v === 'string' && v.trim() === '')) return undefined;
  if (typeof v !== 'number' && typeof v !== 'string') throw NO;
  const s = typeof v === 'string' ? v.trim() : v;
  const n = typeof s === 'string' && s.endsWith('%') ? Number(s.slice(0, -1)) / 100 : Number(s);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw NO;
  return n;
}

function yesNo(v: unknown): boolean | undefined {
  if (v == null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') throw NO;
  const s = v.trim().toLowerCase();
  if (s === '') return undefined;
  if (s === 'true' || s === 'yes' || s === 'y' || s === '1') return true;
  if (s === 'false' || s === 'no' || s === 'n' || s === '0') return false;
  throw NO;
}

/** z.string().trim().min(min).max(max). */
function required(v: unknown, min: number, max: number): string {
  if (typeof v !== 'string') throw NO;
  const s = v.trim();
  if (s.length < min || s.length > max) throw NO;
  return s;
}

function address(v: unknown): PostalAddress | undefined {
  if (v == null) return undefined;
  if (!isPlainObject(v)) throw NO;
  const country = required(v.country, 2, 60);
  return {
    line1: required(v.line1, 1, 200),
    line2: text(v.line2, 200),
    city: required(v.city, 1, 100),
    region: text(v.region, 100),
    postalCode: required(v.postal_code, 1, 20),
    country: country.length === 2 ? country.toUpperCase() : country,
  };
}

function fail(): never {
  throw NO;
}

function analysisFields(a: Obj): AnalysisFields {
  const intent = optString(a.billing_intent);
  const billingIntent = intent === undefined ? undefined : snake(intent);
  if (billingIntent !== undefined && !INTENT_SET.has(billingIntent)) throw NO;
  const email = optString(a.customer_email)?.toLowerCase();
  if (email !== undefined && !EMAIL_RE.test(email)) throw NO;
  const currency = optString(a.currency)?.toUpperCase();
  if (currency !== undefined && !CURRENCIES.has(currency)) throw NO;
  return {
    billing_intent: billingIntent,
    billing_intents: list(a.billing_intents, INTENT_SET),
    intent_confidence: confidence(a.intent_confidence),
    customer_name: text(a.customer_name),
    account_id: text(a.account_id, 100),
    customer_email: email,
    customer_phone: text(a.customer_phone, 40),
    invoice_number: text(a.invoice_number, 100),
    payment_id: text(a.payment_id, 100),
    subscription_id: text(a.subscription_id, 100),
    tax_region: text(a.tax_region, 100),
    customer_tier: lowerText(a.customer_tier),
    amount: amount(a.amount),
    currency,
    due_date: date(a.due_date, toIsoDate),
    payment_status: lowerText(a.payment_status),
    refund_reason: text(a.refund_reason),
    dispute_reason: text(a.dispute_reason),
    credit_request: yesNo(a.credit_request),
    payment_platform: lowerText(a.payment_platform),
    approval_threshold: amount(a.approval_threshold),
    finance_owner: text(a.finance_owner, 200),
    escalation_reason: text(a.escalation_reason),
    promised_next_step: text(a.promised_next_step),
    follow_up_deadline: date(a.follow_up_deadline, toIsoDateOrTimestamp),
    new_billing_address: address(a.new_billing_address),
    transcript_url: httpUrl(a.transcript_url),
    crm_url: httpUrl(a.crm_url),
    support_ticket: text(a.support_ticket, 500),
    payment_platform_url: httpUrl(a.payment_platform_url),
    sensitive_data: list(a.sensitive_data, CATEGORY_SET),
  } as AnalysisFields;
}

function transcript(v: unknown): string | undefined {
  if (v == null) return undefined;
  let s: string;
  if (typeof v === 'string') s = v;
  else if (Array.isArray(v)) {
    const lines: string[] = [];
    for (const turn of v) {
      if (!isPlainObject(turn)) throw NO;
      const { role, speaker, content, text: said } = turn;
      for (const part of [role, speaker, content, said]) if (part !== undefined && typeof part !== 'string') throw NO;
      lines.push(`${(speaker ?? role ?? 'speaker') as string}: ${(content ?? said ?? '') as string}`);
    }
    s = lines.join('\n');
  } else throw NO;
  const out = blank(s);
  if (out !== undefined && out.length > MAX_TRANSCRIPT_CHARS) throw NO;
  return out;
}

function duration(v: unknown): number | undefined {
  if (v == null || v === '') return undefined;
  if (typeof v !== 'number' && typeof v !== 'string') throw NO;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw NO;
  return n;
}

/** Same result as `callSchema.parse(call)`, or undefined when the schema has to decide. */
export function parseCallFast(call: Obj): ParsedCall | undefined {
  try {
    if (!isPlainObject(call) || typeof call.id !== 'string') return undefined;
    const id = call.id.trim();
    if (!CALL_ID_RE.test(id)) return undefined;
    const direction = optString(call.direction)?.toLowerCase();
    if (direction !== undefined && direction !== 'inbound' && direction !== 'outbound') return undefined;
    let analysis: ParsedCall['post_call_analysis'];
    const rawAnalysis = call.post_call_analysis;
    if (rawAnalysis === null) analysis = null;
    else if (rawAnalysis !== undefined) {
      if (!isPlainObject(rawAnalysis)) return undefined;
      const fields = analysisFields(rawAnalysis);
      if (currencyIssues(fields).length > 0) return undefined;
      analysis = toPostCallAnalysis(fields);
    }
    const values: Obj = {
      id,
      agent_id: text(call.agent_id, 200),
      direction,
      status: lowerText(call.status),
      duration: duration(call.duration),
      transcript: transcript(call.transcript),
      summary: text(call.summary, 10_000),
      recording_url: httpUrl(call.recording_url),
      initiated_at: date(call.initiated_at, timestamp),
      started_at: date(call.started_at, timestamp),
      ended_at: date(call.ended_at, timestamp),
      post_call_analysis: analysis,
    };
    // zod's object output: a key the input had is kept (even when its value became undefined);
    // an absent key is left out unless the schema produced a value for it.
    const out: Obj = {};
    for (const key in values) if (key in call || values[key] !== undefined) out[key] = values[key];
    return out as ParsedCall;
  } catch (err) {
    if (err === NO) return undefined;
    throw err;
  }
}

/** `callSchema.safeParse`, through the fast path when the call is well-formed. */
export function parseCall(call: Obj): z.ZodSafeParseResult<ParsedCall> {
  const fast = parseCallFast(call);
  return fast !== undefined ? { success: true, data: fast } : callSchema.safeParse(call);
}
