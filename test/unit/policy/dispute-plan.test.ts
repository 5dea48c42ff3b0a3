import assert from 'node:assert/strict';
import { disputeSubject, planDispute, planText } from '../../../src/policy/dispute-plan';

describe('a dispute follows the money that was paid (the plan Accept carries out)', () => {
  it('unpaid: the whole disputed amount is credited against the balance; nothing is refunded', () => {
    const p = planDispute(240000, { openMinor: 240000, refundableMinor: 0 }, 'refund_receipt');
    assert.deepEqual(p, { creditMinor: 240000, refundMinor: 0, refundKind: 'refund_receipt', uncoveredMinor: 0 });
    assert.deepEqual(disputeSubject(p, 'USD', '2001'), { amountMinor: 240000, currency: 'USD', invoiceId: '2001', kind: 'balance_credit' });
    assert.equal(planText(p, 'USD'), 'credit the unpaid USD 2,400.00 against the invoice');
  });

  it('paid: a refund, approved exactly as before balance credits (same subject)', () => {
    const p = planDispute(45000, { openMinor: 0, refundableMinor: 45000 }, 'refund_receipt');
    assert.deepEqual(disputeSubject(p, 'USD', '1002'), { amountMinor: 45000, currency: 'USD', invoiceId: '1002', kind: 'refund_receipt' });
  });

  it('part-paid: the open part is credited first, the rest refunded up to what was paid; the subject names both amounts', () => {
    const p = planDispute(12000, { openMinor: 7000, refundableMinor: 5000 }, 'refund_receipt');
    assert.deepEqual([p.creditMinor, p.refundMinor, p.uncoveredMinor], [7000, 5000, 0]);
    assert.equal(disputeSubject(p, 'USD').kind, 'balance_credit:7000+refund_receipt:5000');
    assert.equal(planText(p, 'USD'), 'credit the unpaid USD 70.00 against the invoice, and refund USD 50.00 of what was paid');
    // Another split of the same total is another subject: an approval of one is never spent on the other.
    const other = planDispute(12000, { openMinor: 2000, refundableMinor: 10000 }, 'refund_receipt');
    assert.notEqual(disputeSubject(other, 'USD').kind, disputeSubject(p, 'USD').kind);
  });

  it('more disputed than is open and paid: the rest is uncovered, never credited or refunded', () => {
    const p = planDispute(30000, { openMinor: 10000, refundableMinor: 5000 }, 'credit_memo');
    assert.deepEqual([p.creditMinor, p.refundMinor, p.uncoveredMinor], [10000, 5000, 15000]);
    assert.equal(
      planText(p, 'USD'),
      'credit the unpaid USD 100.00 against the invoice, and credit the customer USD 50.00 of what was paid',
    );
  });

  it('pending credits or refunds by other cases leave less to plan; negative room plans nothing', () => {
    const p = planDispute(5000, { openMinor: -100, refundableMinor: -1 }, 'refund_receipt');
    assert.deepEqual([p.creditMinor, p.refundMinor, p.uncoveredMinor], [0, 0, 5000]);
  });
});
