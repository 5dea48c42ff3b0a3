import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signDecision, verifyDecision, DECISION_PROOF_MAX_AGE_MS } from '../../../src/proofs/decision-proof';
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

  it('signs a hand-off target: changed, removed, or added to another decision it fails; proofs from before hand-offs still verify', () => {
    const handOff: Decision = { ...d, action: 'hand_off', handTo: 'U0FIN0002' };
    const signed = signDecision(KEY, WF, handOff);
    assert.ok(verifyDecision(KEY, WF, signed).ok);
    for (const t of [
      { ...signed, handTo: 'U0AGT0001' },
      { ...signed, handTo: undefined },
    ])
      assert.deepEqual(verifyDecision(KEY, WF, t), { ok: false, reason: 'bad_mac' });
    assert.deepEqual(verifyDecision(KEY, WF, { ...signDecision(KEY, WF, d), handTo: 'U0FIN0002' }), { ok: false, reason: 'bad_mac' });
    // A vote recorded before hand-offs existed, signed over the text of that version (written out here, not taken from the code).
    const issuedAt = '2026-11-20T10:00:00.000Z';
    const oldText = JSON.stringify([
      'dialnexa-billing-decision',
      1,
      WF,
      'req-1',
      'approve',
      'U0FIN0001',
      'Dana Finance',
      null,
      null,
      'slack',
      null,
      issuedAt,
    ]);
    const mac = createHmac('sha256', KEY).update(oldText, 'utf8').digest('base64url');
    assert.ok(verifyDecision(KEY, WF, { ...d, proof: { v: 1, issuedAt, mac } }).ok);
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
  it('binds a money approval to its amount, currency, invoice and kind: changing any of them breaks the proof', () => {
    const approve = { ...d, subject: { amountMinor: 99900, currency: 'USD', invoiceId: '1002', kind: 'refund_receipt' } };
    const signed = signDecision(KEY, WF, approve);
    assert.equal(verifyDecision(KEY, WF, signed).ok, true);
    for (const subject of [
      { ...approve.subject, amountMinor: 250000 },
      { ...approve.subject, currency: 'EUR' },
      { ...approve.subject, invoiceId: '1003' },
      { ...approve.subject, kind: 'credit_memo' },
    ])
      assert.deepEqual(verifyDecision(KEY, WF, { ...signed, subject }), { ok: false, reason: 'bad_mac' });
    const { subject: _s, ...withoutSubject } = signed;
    assert.deepEqual(verifyDecision(KEY, WF, withoutSubject), { ok: false, reason: 'bad_mac' }, 'nor can the subject be dropped');
  });
});
