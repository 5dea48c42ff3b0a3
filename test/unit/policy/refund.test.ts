import assert from 'node:assert/strict';
import { refundAutomation, RefundBlocker } from '../../../src/policy/refund';
import { effectiveApprovalThreshold, requiredApprovals } from '../../../src/policy/thresholds';
import { policy, refundInput } from './fixtures';

const clean = { vip: false, earlierRefund: false };

describe('refund automation policy', () => {
  it('automates a small, confident, allowed, unflagged first refund', () => {
    const d = refundAutomation(refundInput(), clean);
    assert.deepEqual(d, { automate: true, blockers: [], limitMinor: 5000 });
  });

  it('allows exactly the limit and refuses one cent above it', () => {
    assert.equal(refundAutomation(refundInput({}, { amount: { amountMinor: 5000, currency: 'USD' } }), clean).automate, true);
    assert.deepEqual(refundAutomation(refundInput({}, { amount: { amountMinor: 5001, currency: 'USD' } }), clean).blockers, [RefundBlocker.AboveLimit]);
  });

  it('names each rule that blocks automation', () => {
    const cases: [Parameters<typeof refundInput>, typeof clean, RefundBlocker][] = [
      [[{}, { customerTier: 'VIP' }], clean, RefundBlocker.Vip],
      [[{}, {}], { vip: true, earlierRefund: false }, RefundBlocker.Vip],
      [[{ intentConfidence: 0.5 }], clean, RefundBlocker.LowConfidence],
      [[{ intentConfidence: undefined }], clean, RefundBlocker.LowConfidence],
      [[{}, { refundReason: 'changed_mind' }], clean, RefundBlocker.ReasonNotAllowed],
      [[{}, { refundReason: undefined }], clean, RefundBlocker.ReasonNotAllowed],
      [[{ suppressed: ['card_number'] }], clean, RefundBlocker.Suppressed],
      [[{}, {}], { vip: false, earlierRefund: true }, RefundBlocker.EarlierRefund],
      [[{}, { amount: undefined }], clean, RefundBlocker.NoAmount],
    ];
    for (const [args, facts, blocker] of cases) {
      const d = refundAutomation(refundInput(...args), facts);
      assert.equal(d.automate, false, blocker);
      assert.deepEqual(d.blockers, [blocker]);
    }
  });

  it('never automates more than was paid on the named invoice, another currency, or an invoice that does not exist', () => {
    const amount = { amountMinor: 3000, currency: 'USD' };
    const paid = (amountMinor: number, currency = 'USD') => ({ ...clean, invoicePaid: { amountMinor, currency } });
    assert.equal(refundAutomation(refundInput({}, { amount }), paid(3000)).automate, true);
    assert.deepEqual(refundAutomation(refundInput({}, { amount }), paid(2999)).blockers, [RefundBlocker.ExceedsAmountPaid]);
    assert.deepEqual(refundAutomation(refundInput({}, { amount }), paid(0)).blockers, [RefundBlocker.ExceedsAmountPaid]);
    assert.deepEqual(refundAutomation(refundInput({}, { amount }), paid(9000, 'EUR')).blockers, [RefundBlocker.ExceedsAmountPaid]);
    assert.deepEqual(refundAutomation(refundInput({}, { amount }), { ...clean, invoicePaid: null }).blockers, [RefundBlocker.InvoiceNotFound]);
  });

  it("uses the call's approval threshold when it is stricter, never when it is looser", () => {
    assert.deepEqual(refundAutomation(refundInput({}, { approvalThresholdMinor: 2000 }), clean).blockers, [RefundBlocker.AboveLimit]);
    assert.equal(refundAutomation(refundInput({}, { approvalThresholdMinor: 900000, amount: { amountMinor: 6000, currency: 'USD' } }), clean).automate, false);
  });
});

describe('approval thresholds', () => {
  it('takes the stricter of policy and call, ignoring nonsense from the call', () => {
    assert.equal(effectiveApprovalThreshold(policy, {}), 5000);
    assert.equal(effectiveApprovalThreshold(policy, { approvalThresholdMinor: 1200 }), 1200);
    assert.equal(effectiveApprovalThreshold(policy, { approvalThresholdMinor: 99999 }), 5000);
    assert.equal(effectiveApprovalThreshold(policy, { approvalThresholdMinor: -1 }), 5000);
    assert.equal(effectiveApprovalThreshold(policy, { approvalThresholdMinor: 0 }), 0);
  });

  it('asks two people only above the two-person threshold, and for an unknown amount', () => {
    assert.equal(requiredApprovals(100000, policy), 1);
    assert.equal(requiredApprovals(100001, policy), 2);
    assert.equal(requiredApprovals(undefined, policy), 2);
  });
});
