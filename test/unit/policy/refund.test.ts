import assert from 'node:assert/strict';
import { duplicatePaymentEvidence, refundAutomation, RefundBlocker } from '../../../src/policy/refund';
import { effectiveApprovalThreshold, requiredApprovals } from '../../../src/policy/thresholds';
import { policy, refundInput } from './fixtures';

/** A first refund of a named invoice, paid far above any amount used here. */
const clean = { vip: false, earlierRefund: false, invoicePaid: { amountMinor: 1_000_000, currency: 'USD' } };

describe('refund automation policy', () => {
  it('automates a small, confident, allowed, unflagged first refund', () => {
    const d = refundAutomation(refundInput(), policy, clean);
    assert.deepEqual(d, { automate: true, blockers: [], limitMinor: 5000 });
  });

  it('allows exactly the limit and refuses one cent above it', () => {
    assert.equal(refundAutomation(refundInput({}, { amount: { amountMinor: 5000, currency: 'USD' } }), policy, clean).automate, true);
    assert.deepEqual(refundAutomation(refundInput({}, { amount: { amountMinor: 5001, currency: 'USD' } }), policy, clean).blockers, [
      RefundBlocker.AboveLimit,
    ]);
  });

  it('names each rule that blocks automation', () => {
    const cases: [Parameters<typeof refundInput>, Parameters<typeof refundAutomation>[2], RefundBlocker][] = [
      [[{}, { customerTier: 'VIP' }], clean, RefundBlocker.Vip],
      [[{}, {}], { ...clean, vip: true }, RefundBlocker.Vip],
      [[{ intentConfidence: 0.5 }], clean, RefundBlocker.LowConfidence],
      [[{ intentConfidence: undefined }], clean, RefundBlocker.LowConfidence],
      [[{}, { refundReason: 'changed_mind' }], clean, RefundBlocker.ReasonNotAllowed],
      [[{}, { refundReason: undefined }], clean, RefundBlocker.ReasonNotAllowed],
      [[{ suppressed: ['card_number'] }], clean, RefundBlocker.Suppressed],
      [[{}, {}], { ...clean, earlierRefund: true }, RefundBlocker.EarlierRefund],
      [[{}, { amount: undefined }], clean, RefundBlocker.NoAmount],
      [
        [{}, { amount: { amountMinor: 100, currency: 'EUR' } }],
        { ...clean, invoicePaid: { amountMinor: 100, currency: 'EUR' } },
        RefundBlocker.CurrencyNotAutomated,
      ],
      [[{}, {}], { vip: false, earlierRefund: false }, RefundBlocker.NoInvoice],
      [[{}, {}], { ...clean, customerCurrency: 'EUR' }, RefundBlocker.CurrencyMismatch],
      [[{}, {}], { ...clean, invoiceIsCallers: false }, RefundBlocker.InvoiceOfAnotherCustomer],
      [[{}, {}], { ...clean, holds: 1 }, RefundBlocker.ReconciliationHold],
    ];
    for (const [args, facts, blocker] of cases) {
      const d = refundAutomation(refundInput(...args), policy, facts);
      assert.equal(d.automate, false, blocker);
      assert.deepEqual(d.blockers, [blocker]);
    }
  });

  it('never automates more than was paid on the named invoice, another currency, or an invoice that does not exist', () => {
    const amount = { amountMinor: 3000, currency: 'USD' };
    const paid = (amountMinor: number, currency = 'USD') => ({ ...clean, invoicePaid: { amountMinor, currency } });
    assert.equal(refundAutomation(refundInput({}, { amount }), policy, paid(3000)).automate, true);
    assert.deepEqual(refundAutomation(refundInput({}, { amount }), policy, paid(2999)).blockers, [RefundBlocker.ExceedsAmountPaid]);
    assert.deepEqual(refundAutomation(refundInput({}, { amount }), policy, paid(0)).blockers, [RefundBlocker.ExceedsAmountPaid]);
    assert.deepEqual(refundAutomation(refundInput({}, { amount }), policy, paid(9000, 'EUR')).blockers, [RefundBlocker.ExceedsAmountPaid]);
    assert.deepEqual(refundAutomation(refundInput({}, { amount }), policy, { ...clean, invoicePaid: null }).blockers, [
      RefundBlocker.InvoiceNotFound,
    ]);
  });

  it('never automates a refund that names no invoice: nothing bounds how often it could run', () => {
    const noInvoice = { vip: false, earlierRefund: false };
    assert.deepEqual(refundAutomation(refundInput(), policy, noInvoice).blockers, [RefundBlocker.NoInvoice]);
    // Forty calls asking for the same small refund, none naming an invoice: none is automated.
    const decisions = Array.from({ length: 40 }, () => refundAutomation(refundInput(), policy, noInvoice));
    assert.equal(decisions.filter((d) => d.automate).length, 0);
    // Only the replay of a case that decided before this rule may skip it.
    assert.equal(refundAutomation(refundInput(), policy, noInvoice, { invoiceRequired: false }).automate, true);
  });

  it("uses the call's approval threshold when it is stricter, never when it is looser", () => {
    assert.deepEqual(refundAutomation(refundInput({}, { approvalThresholdMinor: 2000 }), policy, clean).blockers, [
      RefundBlocker.AboveLimit,
    ]);
    assert.equal(
      refundAutomation(refundInput({}, { approvalThresholdMinor: 900000, amount: { amountMinor: 6000, currency: 'USD' } }), policy, clean)
        .automate,
      false,
    );
  });
});

describe('approval thresholds, per currency', () => {
  it('takes the stricter of policy and call, ignoring nonsense from the call', () => {
    assert.equal(effectiveApprovalThreshold(policy, {}, 'USD'), 5000);
    assert.equal(effectiveApprovalThreshold(policy, { approvalThresholdMinor: 1200 }, 'USD'), 1200);
    assert.equal(effectiveApprovalThreshold(policy, { approvalThresholdMinor: 99999 }, 'USD'), 5000);
    assert.equal(effectiveApprovalThreshold(policy, { approvalThresholdMinor: -1 }, 'USD'), 5000);
    assert.equal(effectiveApprovalThreshold(policy, { approvalThresholdMinor: 0 }, 'USD'), 0);
  });

  it('compares an amount only with the limit of its own currency; a currency with no limit is never automated', () => {
    assert.equal(effectiveApprovalThreshold(policy, {}, 'JPY'), 5000);
    assert.equal(effectiveApprovalThreshold(policy, {}, 'EUR'), undefined);
    const paid = (currency: string) => ({ ...clean, invoicePaid: { amountMinor: 1_000_000, currency } });
    // JPY has no decimals: 5000 JPY is 5000 minor units, at the JPY limit; 5001 JPY is above it.
    assert.equal(refundAutomation(refundInput({}, { amount: { amountMinor: 5000, currency: 'JPY' } }), policy, paid('JPY')).automate, true);
    assert.deepEqual(refundAutomation(refundInput({}, { amount: { amountMinor: 5001, currency: 'JPY' } }), policy, paid('JPY')).blockers, [
      RefundBlocker.AboveLimit,
    ]);
    // KWD has three decimals: 4.999 KWD is 4999 minor units, inside the KWD limit of 5.000.
    assert.equal(refundAutomation(refundInput({}, { amount: { amountMinor: 4999, currency: 'KWD' } }), policy, paid('KWD')).automate, true);
    assert.deepEqual(refundAutomation(refundInput({}, { amount: { amountMinor: 5001, currency: 'KWD' } }), policy, paid('KWD')).blockers, [
      RefundBlocker.AboveLimit,
    ]);
  });

  it('asks two people only above the two-person threshold of the currency, and for an unknown amount or currency', () => {
    assert.equal(requiredApprovals({ amountMinor: 100000, currency: 'USD' }, policy), 1);
    assert.equal(requiredApprovals({ amountMinor: 100001, currency: 'USD' }, policy), 2);
    assert.equal(requiredApprovals({ amountMinor: 150000, currency: 'JPY' }, policy), 1);
    assert.equal(requiredApprovals({ amountMinor: 150001, currency: 'JPY' }, policy), 2);
    assert.equal(requiredApprovals({ amountMinor: 300001, currency: 'KWD' }, policy), 2);
    assert.equal(requiredApprovals({ amountMinor: 1, currency: 'EUR' }, policy), 2);
    assert.equal(requiredApprovals(undefined, policy), 2);
  });
});

describe('automation on evidence (signed facts, duplicate payments)', () => {
  const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' });
  const paidTwice = {
    total: usd(4000),
    payments: [
      { id: '1', applied: usd(4000) },
      { id: '2', applied: usd(4000) },
    ],
  };
  const paidOnce = { total: usd(4000), payments: [{ id: '1', applied: usd(4000) }] };
  const evidence = { ...clean, factsVerified: true, invoicePayments: paidTwice };
  const on = { evidenceRequired: true };

  it('automates a verified duplicate charge QuickBooks shows paid twice', () => {
    assert.equal(refundAutomation(refundInput(), policy, evidence, on).automate, true);
  });

  it('never automates unverified facts, whatever else holds', () => {
    assert.deepEqual(refundAutomation(refundInput(), policy, { ...evidence, factsVerified: false }, on).blockers, [
      RefundBlocker.UnsignedFacts,
    ]);
    assert.deepEqual(refundAutomation(refundInput(), policy, { ...evidence, factsVerified: undefined }, on).blockers, [
      RefundBlocker.UnsignedFacts,
    ]);
  });

  it('a duplicate charge needs payments above the invoice total by the amount asked: one payment, instalments, too little, none', () => {
    const blocked = (invoicePayments: typeof paidTwice | undefined, amountMinor = 2500) =>
      refundAutomation(refundInput({}, { amount: usd(amountMinor) }), policy, { ...evidence, invoicePayments }, on).blockers;
    assert.deepEqual(blocked(paidOnce), [RefundBlocker.NoDuplicatePaymentEvidence]);
    assert.deepEqual(
      blocked({
        total: usd(4000),
        payments: [
          { id: '1', applied: usd(2000) },
          { id: '2', applied: usd(2000) },
        ],
      }),
      [RefundBlocker.NoDuplicatePaymentEvidence],
    );
    assert.deepEqual(
      blocked(
        {
          total: usd(4000),
          payments: [
            { id: '1', applied: usd(4000) },
            { id: '2', applied: usd(1000) },
          ],
        },
        2500,
      ),
      [RefundBlocker.NoDuplicatePaymentEvidence],
    );
    assert.deepEqual(
      blocked({
        total: usd(4000),
        payments: [
          { id: '1', applied: usd(4000) },
          { id: '2', applied: { amountMinor: 4000, currency: 'EUR' } },
        ],
      }),
      [RefundBlocker.NoDuplicatePaymentEvidence],
    );
    assert.deepEqual(blocked(undefined), [RefundBlocker.NoDuplicatePaymentEvidence]);
    // One payment above the total (an overpayment) covers what is above it.
    assert.deepEqual(blocked({ total: usd(4000), payments: [{ id: '1', applied: usd(6500) }] }), []);
  });

  it('"charged twice" is a duplicate charge; a reason no system can show goes to a person', () => {
    const p = { ...policy, automatableRefundReasons: [...policy.automatableRefundReasons, 'charged twice'] };
    assert.equal(refundAutomation(refundInput({}, { refundReason: 'Charged twice' }), p, evidence, on).automate, true);
    assert.deepEqual(
      refundAutomation(refundInput({}, { refundReason: 'charged twice' }), p, { ...evidence, invoicePayments: paidOnce }, on).blockers,
      [RefundBlocker.NoDuplicatePaymentEvidence],
    );
    assert.deepEqual(refundAutomation(refundInput({}, { refundReason: 'billing_error' }), policy, evidence, on).blockers, [
      RefundBlocker.NoEvidenceForReason,
    ]);
    // A reason the policy does not automate is named once, with no evidence blocker beside it.
    assert.deepEqual(refundAutomation(refundInput({}, { refundReason: 'changed_mind' }), policy, evidence, on).blockers, [
      RefundBlocker.ReasonNotAllowed,
    ]);
  });

  it('reports what the payments show', () => {
    assert.deepEqual(duplicatePaymentEvidence(paidTwice, usd(4000)), { shown: true, count: 2, appliedMinor: 8000, excessMinor: 4000 });
    assert.deepEqual(duplicatePaymentEvidence(paidOnce, usd(1)), { shown: false, count: 1, appliedMinor: 4000, excessMinor: 0 });
  });
});
