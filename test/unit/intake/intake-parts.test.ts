import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CASE_TYPES } from '../../../src/domain/case';
import { classifyCall } from '../../../src/intake/classify';
import { readEnvelope } from '../../../src/intake/envelope';
import { callSchema, fieldErrors, postCallAnalysisSchema } from '../../../src/intake/schema';
import { signDialNexaBody, verifyDialNexaSignature } from '../../../src/intake/signature';
import { suppressCall } from '../../../src/intake/suppression';
import { searchAttributesFor, staticSummaryFor, buildCaseInputs } from '../../../src/intake/start-cases';
import { openApiDocument } from '../../../src/intake/openapi';

const FIXTURES = path.join(__dirname, '../../fixtures/calls');
const analysis = (a: Record<string, unknown>) => postCallAnalysisSchema.safeParse(a);

describe('DialNexa signature', () => {
  const secret = 'unit-secret-0123456789abcdef';
  const body = Buffer.from('{"event_type":"verification"}');
  const hdr = (h: Record<string, string>) => (name: string) => h[name];

  it('accepts sha256=<hex> and bare hex, under either header spelling', () => {
    const sig = signDialNexaBody(body, secret);
    assert.deepEqual(verifyDialNexaSignature(body, hdr({ 'x-dialnexa-signature': sig }), secret), {
      ok: true,
      header: 'x-dialnexa-signature',
    });
    assert.equal(verifyDialNexaSignature(body, hdr({ 'x-dialnexa-signature': sig.slice(7).toUpperCase() }), secret).ok, true);
    assert.deepEqual(verifyDialNexaSignature(body, hdr({ 'x-nexa-signature': sig.slice(7) }), secret), {
      ok: true,
      header: 'x-nexa-signature',
    });
  });

  it('refuses a missing, malformed or wrong signature and says which', () => {
    const sig = signDialNexaBody(body, secret);
    assert.deepEqual(verifyDialNexaSignature(body, hdr({}), secret), { ok: false, reason: 'missing' });
    assert.deepEqual(verifyDialNexaSignature(body, hdr({ 'x-dialnexa-signature': 'sha256=abc' }), secret), {
      ok: false,
      reason: 'malformed',
    });
    assert.deepEqual(
      verifyDialNexaSignature(body, hdr({ 'x-dialnexa-signature': signDialNexaBody(body, 'another-secret-000000') }), secret),
      { ok: false, reason: 'mismatch' },
    );
    assert.deepEqual(verifyDialNexaSignature(Buffer.from(`${body.toString()} `), hdr({ 'x-dialnexa-signature': sig }), secret), {
      ok: false,
      reason: 'mismatch',
    });
  });
});

describe('post-call analysis schema', () => {
  it('turns "12.50", 12.5, "$1,250.00" and "40 EUR" into integer minor units with a currency', () => {
    assert.deepEqual(analysis({ amount: '12.50', currency: 'usd' }).data?.fields.amount, { amountMinor: 1250, currency: 'USD' });
    assert.deepEqual(analysis({ amount: 12.5, currency: 'USD' }).data?.fields.amount, { amountMinor: 1250, currency: 'USD' });
    assert.deepEqual(analysis({ amount: '$1,250.00' }).data?.fields.amount, { amountMinor: 125000, currency: 'USD' });
    assert.deepEqual(analysis({ amount: '40 EUR' }).data?.fields.amount, { amountMinor: 4000, currency: 'EUR' });
    assert.deepEqual(analysis({ amount: '1500', currency: 'JPY' }).data?.fields.amount, { amountMinor: 1500, currency: 'JPY' });
    assert.deepEqual(analysis({ amount: '1.234', currency: 'KWD', approval_threshold: 5 }).data?.fields, {
      amount: { amountMinor: 1234, currency: 'KWD' },
      approvalThresholdMinor: 5000,
    });
  });

  it('names each bad money field and why', () => {
    const errs = (a: Record<string, unknown>) => fieldErrors(analysis(a).error!, ['post_call_analysis']);
    assert.deepEqual(errs({ amount: '12.345', currency: 'USD' }), [
      { field: 'post_call_analysis.amount', message: 'has more decimal places than USD allows (USD has 2)' },
    ]);
    assert.deepEqual(errs({ amount: 'twelve', currency: 'USD' })[0].field, 'post_call_analysis.amount');
    assert.deepEqual(errs({ amount: -5, currency: 'USD' })[0].field, 'post_call_analysis.amount');
    assert.deepEqual(errs({ amount: '12.50' }), [
      { field: 'post_call_analysis.currency', message: 'is required with amount (an ISO 4217 code such as USD)' },
    ]);
    assert.match(errs({ amount: '12', currency: 'XYZ1' })[0].message, /ISO 4217/);
    assert.deepEqual(errs({ amount: '€12', currency: 'USD' }), [
      { field: 'post_call_analysis.currency', message: 'is USD but amount says EUR' },
    ]);
  });

  it('normalises dates and refuses impossible ones', () => {
    assert.equal(analysis({ due_date: '2026-12-15' }).data?.fields.dueDate, '2026-12-15');
    assert.equal(analysis({ due_date: '2026-12-15T23:30:00-05:00' }).data?.fields.dueDate, '2026-12-16');
    assert.equal(analysis({ follow_up_deadline: '2026-12-04T09:00:00+01:00' }).data?.fields.followUpDeadline, '2026-12-04T08:00:00.000Z');
    assert.equal(analysis({ follow_up_deadline: '2026-12-04' }).data?.fields.followUpDeadline, '2026-12-04');
    for (const bad of ['2026-02-30', '15/12/2026', 'next friday', '2026-12-04T09:00:00']) {
      const r = analysis({ due_date: bad, follow_up_deadline: bad });
      assert.deepEqual(
        r.error?.issues.map((i) => i.path.join('.')),
        ['due_date', 'follow_up_deadline'],
        bad,
      );
    }
  });

  it('reads intents, confidence, flags and yes/no leniently, and drops unknown keys', () => {
    const r = analysis({
      billing_intent: 'Refund Request',
      billing_intents: 'charge-dispute, refund_request',
      intent_confidence: '85%',
      sensitive_data: 'Card Number',
      credit_request: 'yes',
      tax_id: '12-3456789',
      favourite_colour: 'blue',
    });
    assert.deepEqual(r.data?.intents, ['refund_request', 'charge_dispute']);
    assert.equal(r.data?.intentConfidence, 0.85);
    assert.deepEqual(r.data?.sensitiveFlags, ['card_number']);
    assert.equal(r.data?.fields.creditRequest, true);
    assert.ok(!JSON.stringify(r.data).includes('3456789') && !JSON.stringify(r.data).includes('blue'));
  });

  it('refuses unknown intents, out-of-range confidence, bad emails and bad URLs, naming each', () => {
    const r = analysis({
      billing_intent: 'upgrade',
      intent_confidence: 1.5,
      customer_email: 'not-an-email',
      crm_url: 'javascript:alert(1)',
      sensitive_data: ['card_number', 'dna'],
    });
    assert.deepEqual(r.error?.issues.map((i) => i.path.join('.')).sort(), [
      'billing_intent',
      'crm_url',
      'customer_email',
      'intent_confidence',
      'sensitive_data.1',
    ]);
  });

  it('treats null and empty strings as absent', () => {
    assert.deepEqual(analysis({ amount: null, currency: '', customer_email: null, billing_intent: '' }).data?.fields, {});
  });

  it('requires a usable call id', () => {
    assert.equal(callSchema.safeParse({}).error?.issues[0].path[0], 'id');
    assert.equal(callSchema.safeParse({ id: 'call/../x' }).error?.issues[0].path[0], 'id');
    assert.equal(callSchema.safeParse({ id: 'call_x9y3zp4mq7r1' }).success, true);
  });
});

describe('envelopes', () => {
  const call = { id: 'call_env_1', status: 'completed', transcript: 'hi', post_call_analysis: {} };
  it('reads the documented shape and the second shape where it carries the call', () => {
    assert.deepEqual(readEnvelope({ event_type: 'call_ended', payload: { call } }), {
      kind: 'call',
      event: 'call_ended',
      call,
      callPath: ['payload', 'call'],
    });
    assert.deepEqual(readEnvelope({ event: 'call.analysis_ready', workspace_id: 'ws_1', call }), {
      kind: 'call',
      event: 'call.analysis_ready',
      call,
      callPath: ['call'],
    });
    const { post_call_analysis: _a, ...noAnalysis } = call;
    const r = readEnvelope({
      event: 'call.analysis_ready',
      data: { call: { ...noAnalysis, analysis: { billing_intent: 'collections' } } },
    });
    assert.equal(r.kind === 'call' && (r.call.post_call_analysis as { billing_intent: string }).billing_intent, 'collections');
  });

  it('ignores the verification ping, unfinished and unconnected calls, with a reason', () => {
    const reason = (b: unknown) => {
      const r = readEnvelope(b);
      return r.kind === 'ignored' ? r.reason : r.kind;
    };
    assert.equal(reason({ event_type: 'verification' }), 'verification ping');
    assert.equal(
      reason({ event_type: 'call_initiated', payload: { call: { id: 'c1', status: 'initiated' } } }),
      'call not finished yet (call_initiated)',
    );
    assert.equal(
      reason({ event_type: 'call_ended', payload: { call: { id: 'c1', status: 'hangup', hangup_reason: 'user_busy' } } }),
      'call never connected (status hangup)',
    );
    assert.equal(
      reason({ event: 'call.ended', call: { id: 'c1', status: 'completed', transcript: 'x' } }),
      'analysis not ready; waiting for call.analysis_ready',
    );
    assert.equal(reason({ event: 'call.started', session_id: 's1' }), 'call not finished yet (call.started)');
  });

  it('names what is missing from a broken envelope', () => {
    assert.deepEqual(readEnvelope([1, 2]), {
      kind: 'invalid',
      errors: [{ field: '(body)', message: 'must be a JSON object (a DialNexa webhook event)' }],
    });
    assert.deepEqual(readEnvelope({ payload: {} }), {
      kind: 'invalid',
      errors: [{ field: 'event_type', message: 'is required: the DialNexa event name (event_type, or event in the second envelope)' }],
    });
    const r = readEnvelope({ event_type: 'call_ended', payload: {} });
    assert.equal(r.kind === 'invalid' && r.errors[0].field, 'payload.call');
  });
});

describe('classification', () => {
  const base = { texts: [] as string[], fields: {}, suppressed: [] };
  it('starts one case per named intent when confident', () => {
    assert.deepEqual(classifyCall({ ...base, intents: ['refund_request', 'charge_dispute'], intentConfidence: 0.9 }, 0.6), {
      kind: 'cases',
      caseTypes: ['refund_request', 'charge_dispute'],
      reason: 'intents named by DialNexa',
    });
  });
  it('sends low confidence to triage with the named intents as candidates', () => {
    const r = classifyCall({ ...base, intents: ['refund_request'], intentConfidence: 0.59 }, 0.6);
    assert.deepEqual(
      [r.kind, r.kind === 'cases' && r.caseTypes, r.kind === 'cases' && r.candidateCaseTypes],
      ['cases', ['triage'], ['refund_request']],
    );
    // At the threshold exactly, the intent stands.
    assert.deepEqual(classifyCall({ ...base, intents: ['refund_request'], intentConfidence: 0.6 }, 0.6), {
      kind: 'cases',
      caseTypes: ['refund_request'],
      reason: 'intents named by DialNexa',
    });
  });
  it('sends a billing-sounding call without an intent to triage', () => {
    for (const input of [
      { texts: ['caller: my invoice looks wrong'] },
      { fields: { invoiceNumber: 'INV-1001' } },
      { suppressed: ['card_number' as const] },
    ]) {
      const r = classifyCall({ ...base, intents: ['none'], ...input }, 0.6);
      assert.deepEqual(r.kind === 'cases' && r.caseTypes, ['triage'], JSON.stringify(input));
    }
  });
  it('ignores a clearly non-billing call', () => {
    assert.deepEqual(classifyCall({ ...base, intents: ['none'], texts: ['caller: please reschedule the product demo to Thursday'] }, 0.6), {
      kind: 'not_billing',
      reason: 'not a billing call',
    });
  });
});

describe('call fixtures', () => {
  const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
  it('has a fixture per case type, and one that is not about billing', () => {
    for (const t of [...CASE_TYPES, 'not_billing']) assert.ok(files.includes(`${t}.json`), `missing ${t}.json`);
  });
  for (const file of files) {
    it(`${file} parses, needs no suppression and classifies as its name says`, () => {
      const body = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8'));
      const env = readEnvelope(body);
      assert.equal(env.kind, 'call');
      const parsed = callSchema.parse(env.kind === 'call' ? env.call : undefined);
      const sup = suppressCall(parsed);
      assert.deepEqual(sup.suppressed, []);
      assert.equal(sup.call.transcript, parsed.transcript, 'a clean transcript passes untouched');
      const a = parsed.post_call_analysis!;
      const c = classifyCall(
        {
          intents: a.intents,
          intentConfidence: a.intentConfidence,
          texts: [sup.call.summary, sup.call.transcript],
          fields: sup.fields,
          suppressed: sup.suppressed,
        },
        0.6,
      );
      const expected = file.replace('.json', '');
      if (expected === 'not_billing') assert.equal(c.kind, 'not_billing');
      else assert.deepEqual(c.kind === 'cases' && c.caseTypes, [expected]);
    });
  }
});

describe('search attributes and summary', () => {
  it('carry ids, amounts and flags, never names, emails or phone numbers', () => {
    const body = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'payment_blocker.json'), 'utf8'));
    const sup = suppressCall(callSchema.parse(body.payload.call));
    const [input] = buildCaseInputs({
      call: sup,
      caseTypes: ['payment_blocker'],
      receivedAt: '2026-11-26T14:06:12.000Z',
      policy: {} as never,
    });
    const attrs = Object.fromEntries(searchAttributesFor(input).map((p) => [p.key.name, p.value]));
    assert.deepEqual(attrs, {
      BillingCaseType: 'payment_blocker',
      BillingCaseStatus: 'received',
      DialNexaCallId: 'call_pbk2j7f4s9q1',
      BillingUrgency: 'urgent',
      BillingAccountId: 'GLOBEX-002',
      BillingAmountMinor: 240000,
      BillingCurrency: 'USD',
      BillingOwner: 'U0OWN0002',
    });
    assert.equal(
      staticSummaryFor(input),
      'payment blocker · call call_pbk2j7f4s9q1 · account GLOBEX-002 · invoice INV-2001 · USD 2,400.00 · urgency urgent',
    );
  });
});

describe('OpenAPI document', () => {
  it('is generated from the zod schemas', () => {
    const doc = openApiDocument() as { openapi: string; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    assert.equal(doc.openapi, '3.1.0');
    const props = Object.keys(doc.components.schemas.PostCallAnalysis.properties ?? {});
    for (const key of ['billing_intent', 'amount', 'currency', 'due_date', 'new_billing_address', 'sensitive_data'])
      assert.ok(props.includes(key), key);
    assert.ok(Object.keys(doc.components.schemas.DialNexaCall.properties ?? {}).includes('post_call_analysis'));
  });
});
