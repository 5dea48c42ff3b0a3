/**
 * The fast call parser must be indistinguishable from the zod schema: for every input it either
 * returns exactly what `callSchema` returns, or gives up so the schema answers (errors included).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseCall, parseCallFast } from '../../../src/intake/call-parser';
import { readEnvelope } from '../../../src/intake/envelope';
import { callSchema } from '../../../src/intake/schema';

const FIXTURES = path.join(__dirname, '../../fixtures/calls');
type Obj = Record<string, unknown>;

function fixtureCalls(): [string, Obj][] {
  return fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const env = readEnvelope(JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')));
      assert.equal(env.kind, 'call', f);
      return [f, (env as { call: Obj }).call];
    });
}

/** Either the same success as the schema, or undefined; returns whether the fast path answered. */
function agrees(call: Obj, label: string): boolean {
  const before = JSON.stringify(call);
  const fast = parseCallFast(call);
  const slow = callSchema.safeParse(call);
  assert.equal(JSON.stringify(call), before, `${label}: input modified`);
  if (fast === undefined) return false;
  assert.ok(slow.success, `${label}: fast path accepted what the schema refuses: ${JSON.stringify(slow.error?.issues)}`);
  assert.deepStrictEqual(fast, slow.data, label);
  return true;
}

const VALUES: unknown[] = [
  undefined, null, '', '   ', 'abc', ' Mixed Case ', 'x'.repeat(21), 'x'.repeat(41), 'x'.repeat(101), 'x'.repeat(201), 'x'.repeat(501), 'x'.repeat(2001), 'x'.repeat(10_001),
  0, 1, 12.5, -1, 1e21, 0.93, 240, true, false, [], ['a'], {}, [1], 'NaN', 'Infinity', '0x10',
  '12.50', '$1,250.00', '40 EUR', 'EUR 40', '€12', '12.505', '5 JPY', '5.5 JPY', '1e21', '12.5 usd', '3 KWD', '1.2345 KWD', 'ABC 12', '12 XYZ',
  '85%', '0.5', '150%', '-0.1', 'yes', 'N', 'TRUE', '1', 'maybe',
  '2026-11-30', '2026-02-30', ' 2026-11-30 ', '2026-11-26T14:02:11Z', '2026-11-26 14:02:11+0100', '2026-11-26T14:02:11.123456789-05:00', '2026-11-26T14:02', '2026-13-01T00:00:00Z', '30/11/2026',
  'https://x.example/a?b=1', ' https://x.example ', 'HTTP://X.example/P', 'http:x.example', 'https:/x', 'ftp://x.example', 'https://exa\nmple.com', 'https://', 'https://u:p@x.example:8080/a#f', 'https://[::1]/', 'https://x .example',
  'refund_request', 'Refund Request', 'refund-request', 'none', 'triage', 'refund_request, invoice_resend', ' , refund_request,, ', 'refund_request,bogus',
  ['refund_request', 'triage'], ['Charge Dispute', ' '], ['refund_request', 5],
  'card_number', 'Bank Details', ['bank_details', 'private_document'], ['tax_identifier', 'x'],
  'USD', 'usd', ' eur ', 'XYZ', 'JPY', 'KWD', 'US',
  'a@b.co', ' A@B.CO ', 'not-an-email', 'a.b+c@d-e.example.org', 'a..b@c.com', 'a@b', "o'neil@x.ie",
  'inbound', 'OUTBOUND', 'sideways', 'completed', 'VIP',
  { line1: '1 Main St', city: 'Springfield', postal_code: '12345', country: 'us' },
  { line1: ' 1 Main ', line2: ' ', city: 'X', region: 'CA', postal_code: '1', country: 'Germany' },
  { line1: '', city: 'X', postal_code: '1', country: 'us' },
  { line1: '1 Main', city: 'X', postal_code: '1', country: 'u' },
  { line1: '1 Main', city: 'X', postal_code: '1', country: 'us', line2: 5 },
  { line1: '1 Main', city: 'X', postal_code: '123456789012345678901', country: 'us' },
  [{ role: 'agent', content: 'hi' }, { speaker: 'caller', text: 'hello' }, {}],
  [{ role: 'agent', content: 'hi', extra: 1 }],
  [{ speaker: 'a', text: 1 }],
  [{ role: null, content: 'x' }],
  ['turn'],
  'call_x9y3zp4mq7r1', ' call_x9 ', 'call/../x', 'x'.repeat(129), '-starts-with-dash',
];

const TOP_FIELDS = ['id', 'agent_id', 'direction', 'status', 'duration', 'transcript', 'summary', 'recording_url', 'initiated_at', 'started_at', 'ended_at', 'post_call_analysis'];
const ANALYSIS_FIELDS = [
  'billing_intent', 'billing_intents', 'intent_confidence', 'customer_name', 'account_id', 'customer_email', 'customer_phone', 'invoice_number', 'payment_id',
  'subscription_id', 'tax_region', 'customer_tier', 'amount', 'currency', 'due_date', 'payment_status', 'refund_reason', 'dispute_reason', 'credit_request',
  'payment_platform', 'approval_threshold', 'finance_owner', 'escalation_reason', 'promised_next_step', 'follow_up_deadline', 'new_billing_address',
  'transcript_url', 'crm_url', 'support_ticket', 'payment_platform_url', 'sensitive_data',
];

function withValue(obj: Obj, key: string, value: unknown, absent: boolean): Obj {
  const out = { ...obj };
  if (absent) delete out[key];
  else out[key] = value;
  return out;
}

describe('fast call parser', () => {
  const calls = fixtureCalls();

  it('parses every fixture call on the fast path, exactly as the schema does', () => {
    for (const [name, call] of calls) assert.ok(agrees(call, name), `${name}: fell back to the schema`);
  });

  it('agrees with the schema for every field set to each of many values (or gives up)', function () {
    this.timeout(120_000); // ~40,000 parses
    let fast = 0;
    let total = 0;
    for (const [name, call] of calls) {
      const analysis = (call.post_call_analysis ?? {}) as Obj;
      for (const value of VALUES) {
        for (const absent of value === undefined ? [false, true] : [false]) {
          for (const key of TOP_FIELDS) {
            total++;
            if (agrees(withValue(call, key, value, absent), `${name} ${key}=${JSON.stringify(value)}${absent ? ' (absent)' : ''}`)) fast++;
          }
          for (const key of ANALYSIS_FIELDS) {
            total++;
            const a = withValue(analysis, key, value, absent);
            if (agrees({ ...call, post_call_analysis: a }, `${name} post_call_analysis.${key}=${JSON.stringify(value)}${absent ? ' (absent)' : ''}`)) fast++;
          }
        }
      }
    }
    // Most variants are valid for the field they land in; the fast path must take a real share.
    assert.ok(fast > total / 4, `fast path answered ${fast} of ${total}`);
  });

  it('agrees on amounts, currencies and thresholds together', () => {
    const [, base] = calls[0];
    const amounts = [undefined, '12.50', '12.505', '$5', '40 EUR', 100, '5 JPY', '5.5 JPY', '1,000', 'GBP 3'];
    const currencies = [undefined, 'USD', 'EUR', 'JPY', 'usd', 'XYZ'];
    const thresholds = [undefined, '100', '100 EUR', '1.001', '¥500'];
    for (const amount of amounts)
      for (const currency of currencies)
        for (const approval_threshold of thresholds) {
          const a = { ...(base.post_call_analysis as Obj), amount, currency, approval_threshold };
          agrees({ ...base, post_call_analysis: a }, JSON.stringify({ amount, currency, approval_threshold }));
        }
  });

  it('keeps the schema answer, with its messages, for invalid calls', () => {
    const bad = { id: 'call/../x', post_call_analysis: { amount: 'lots', customer_email: 'nope' } };
    const got = parseCall(bad);
    const want = callSchema.safeParse(bad);
    assert.equal(got.success, false);
    assert.deepStrictEqual(got.error?.issues, want.error?.issues);
  });

  it('keeps null analysis and absent keys as the schema does', () => {
    for (const call of [{ id: 'call_1' }, { id: 'call_1', post_call_analysis: null }, { id: 'call_1', post_call_analysis: {} }, { id: 'call_1', summary: null, transcript: ' ' }]) {
      assert.ok(agrees(call, JSON.stringify(call)), JSON.stringify(call));
    }
  });
});
