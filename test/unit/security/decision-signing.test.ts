import assert from 'node:assert/strict';
import { signDecision, verifyDecision, DECISION_PROOF_MAX_AGE_MS } from '../../../src/security/decision-signing';
import type { Decision, SignedDecision } from '../../../src/domain/decision';

const KEY = 'k'.repeat(40);
const WF = 'case-refund_request-call-1';
const d: Decision = { requestId: 'req-1', action: 'approve', actor: { id: 'U0FIN0001', name: 'Dana Finance' }, source: 'slack' };

describe('decision proofs', () => {
  it('verifies a decision the API signed, with the claims exactly as signed', () => {
    const signed = signDecision(KEY, WF, d);
    const check = verifyDecision(KEY, WF, signed, { maxAgeMs: DECISION_PROOF_MAX_AGE_MS });
    assert.ok(check.ok);
    assert.deepEqual(check.ok && check.decision, d);
  });

  it('refuses a decision with no proof, a proof made with another key, or any changed field', () => {
    assert.deepEqual(verifyDecision(KEY, WF, { ...d }), { ok: false, reason: 'missing_proof' });
    assert.deepEqual(verifyDecision(KEY, WF, signDecision('x'.repeat(40), WF, d)), { ok: false, reason: 'bad_mac' });
    const signed = signDecision(KEY, WF, d);
    const tampered: SignedDecision[] = [
      { ...signed, actor: { id: 'U0FIN0002', name: 'Dana Finance' } },
      { ...signed, actor: { id: 'U0FIN0001' } },
      { ...signed, action: 'reject' },
      { ...signed, requestId: 'req-2' },
      { ...signed, source: 'operator' },
      { ...signed, reason: 'added later' },
      { ...signed, proof: { ...signed.proof!, issuedAt: new Date(Date.now() + 1000).toISOString() } },
    ];
    for (const t of tampered) assert.deepEqual(verifyDecision(KEY, WF, t), { ok: false, reason: 'bad_mac' }, JSON.stringify(t));
  });

  it('binds the proof to one case: copied onto another case it fails', () => {
    const signed = signDecision(KEY, WF, d);
    assert.deepEqual(verifyDecision(KEY, 'case-refund_request-call-2', signed), { ok: false, reason: 'bad_mac' });
  });

  it('refuses a stale (or future) proof for a new decision, but not when a recorded vote is re-checked later', () => {
    const old = signDecision(KEY, WF, d, new Date(Date.now() - DECISION_PROOF_MAX_AGE_MS - 1000));
    assert.deepEqual(verifyDecision(KEY, WF, old, { maxAgeMs: DECISION_PROOF_MAX_AGE_MS }), { ok: false, reason: 'stale' });
    const future = signDecision(KEY, WF, d, new Date(Date.now() + DECISION_PROOF_MAX_AGE_MS + 1000));
    assert.deepEqual(verifyDecision(KEY, WF, future, { maxAgeMs: DECISION_PROOF_MAX_AGE_MS }), { ok: false, reason: 'stale' });
    assert.ok(verifyDecision(KEY, WF, old).ok, 'the money path re-verifies votes of days ago without an age limit');
  });

  it('treats malformed input as unverified rather than throwing', () => {
    for (const bad of [
      null,
      'x',
      { requestId: 1 },
      { ...d, proof: { v: 2, issuedAt: 'x', mac: 'y' } },
      { ...d, proof: { v: 1, issuedAt: new Date().toISOString(), mac: '' } },
    ]) {
      const r = verifyDecision(KEY, WF, bad as unknown as SignedDecision);
      assert.equal(r.ok, false);
    }
  });
});
