import assert from 'node:assert/strict';
import { attestCaseFacts, canonicalJson, verifyCaseFacts } from '../../../src/proofs/case-facts';
import { signDecision } from '../../../src/proofs/decision-proof';
import { attestCaseInput } from '../../../src/intake/start-cases';
import type { CaseInput } from '../../../src/domain/case';
import { caseWorkflowId } from '../../../src/temporal/workflow-ids';
import { refundInput } from '../policy/fixtures';

const KEY = 'k'.repeat(40);
const input: CaseInput = refundInput(
  { call: { callId: 'call-1' }, intentConfidence: 0.93 },
  { paymentPlatform: 'quickbooks', creditRequest: false },
);
const WF = caseWorkflowId('call-1', 'refund_request');

describe('case facts attestation (signed intake)', () => {
  it('verifies the facts the intake attested for the workflow it starts, after a round trip through JSON', () => {
    const signed = attestCaseInput(KEY, input);
    assert.equal(signed.attestation?.by, 'api');
    const wire = JSON.parse(JSON.stringify(signed)) as CaseInput;
    assert.deepEqual(verifyCaseFacts(KEY, WF, wire), { ok: true, by: 'api' });
  });

  it('does not depend on the order of the fields (canonical JSON) and ignores what it does not cover (transcript, timings)', () => {
    const signed = attestCaseInput(KEY, input);
    const reordered = { ...signed, fields: Object.fromEntries(Object.entries(signed.fields).reverse()) } as CaseInput;
    assert.ok(verifyCaseFacts(KEY, WF, reordered).ok);
    const later: CaseInput = { ...signed, call: { ...signed.call, transcript: 'later' }, policy: { ...signed.policy } };
    assert.ok(verifyCaseFacts(KEY, WF, later).ok);
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } }), '{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
  });

  it('refuses unsigned facts, a malformed attestation, another key, another workflow id, and any changed fact', () => {
    assert.deepEqual(verifyCaseFacts(KEY, WF, input), { ok: false, reason: 'unsigned' });
    const signed = attestCaseInput(KEY, input);
    assert.deepEqual(verifyCaseFacts(KEY, WF, { ...signed, attestation: { ...signed.attestation!, v: 2 as 1 } }), {
      ok: false,
      reason: 'malformed',
    });
    assert.deepEqual(verifyCaseFacts(KEY, WF, attestCaseInput('x'.repeat(40), input)), { ok: false, reason: 'bad_mac' });
    assert.deepEqual(verifyCaseFacts(KEY, caseWorkflowId('call-2', 'refund_request'), signed), { ok: false, reason: 'bad_mac' });
    const f = signed.fields;
    const altered: CaseInput[] = [
      { ...signed, caseType: 'charge_dispute' },
      { ...signed, call: { ...signed.call, callId: 'call-2' } },
      { ...signed, fields: { ...f, accountId: 'GLOBEX-002' } },
      { ...signed, fields: { ...f, invoiceNumber: 'INV-1003' } },
      { ...signed, fields: { ...f, amount: { amountMinor: 2501, currency: 'USD' } } },
      { ...signed, fields: { ...f, amount: { amountMinor: 2500, currency: 'EUR' } } },
      { ...signed, fields: { ...f, refundReason: 'billing_error' } },
      { ...signed, fields: { ...f, disputeReason: 'not_recognized' } },
      { ...signed, fields: { ...f, creditRequest: true } },
      { ...signed, fields: { ...f, paymentPlatform: 'skyfire' } },
      { ...signed, fields: { ...f, customerTier: 'standard' } },
      { ...signed, intentConfidence: 0.99 },
      { ...signed, intentConfidence: undefined },
      { ...signed, suppressed: ['card_number'] },
      { ...signed, attestation: { ...signed.attestation!, by: 'worker' } },
      { ...signed, attestation: { ...signed.attestation!, issuedAt: new Date(0).toISOString() } },
    ];
    for (const a of altered) assert.deepEqual(verifyCaseFacts(KEY, WF, a), { ok: false, reason: 'bad_mac' }, JSON.stringify(a));
  });

  it('has its own key: a decision proof made with the same decision key is no attestation', () => {
    const proof = signDecision(KEY, WF, { requestId: 'r', action: 'approve', actor: { id: 'U0FIN0001' }, source: 'slack' }).proof!;
    const forged = { ...input, attestation: { v: 1 as const, by: 'api' as const, issuedAt: proof.issuedAt, mac: proof.mac } };
    assert.deepEqual(verifyCaseFacts(KEY, WF, forged), { ok: false, reason: 'bad_mac' });
  });

  it('a worker attestation for a triage-chosen case verifies only under the chosen case id', () => {
    const child = { ...input, caseType: 'refund_request' as const };
    const a = attestCaseFacts(KEY, WF, child, { by: 'worker' });
    assert.deepEqual(verifyCaseFacts(KEY, WF, { ...child, attestation: a }), { ok: true, by: 'worker' });
    assert.equal(verifyCaseFacts(KEY, caseWorkflowId('call-1', 'triage'), { ...child, attestation: a }).ok, false);
  });
});
