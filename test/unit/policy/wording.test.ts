import assert from 'node:assert/strict';
import { CaseStatus } from '../../../src/domain/case';
import { checkMoneyMove } from '../../../src/policy/money-rules';
import { MoneyRefusal } from '../../../src/policy/money-refusal';
import { refundAutomation, RefundBlocker } from '../../../src/policy/refund';
import { ReviewReason } from '../../../src/policy/review';
import {
  callerReasonText,
  caseStatusText,
  customerPlatformName,
  moneyRefusalText,
  readableCode,
  refundBlockerText,
  refundBlockersText,
  reviewReasonText,
  reviewReasonsText,
} from '../../../src/policy/wording';
import { policy, refundInput } from './fixtures';

/** Text a person reads must not be the code itself, nor carry snake_case. */
function assertWords(text: string, code: string): void {
  assert.ok(text.length > 0, `${code}: empty`);
  assert.notEqual(text, code);
  assert.ok(!/_/.test(text), `${code}: "${text}" still reads as a code`);
  assert.match(text, /^[A-Z]/, `${code}: "${text}" starts a sentence`);
}

describe('wording: the vocabulary people read', () => {
  it("words every refund blocker, and the above-limit text names the limit in the currency's format", () => {
    for (const code of Object.values(RefundBlocker)) assertWords(refundBlockerText(code), code);
    assert.equal(
      refundBlockerText(RefundBlocker.AboveLimit, { limitMinor: 5000, currency: 'USD' }),
      'Above the USD 50.00 automation limit',
    );
    // Exponents follow ISO 4217: JPY has no decimals, KWD three.
    assert.equal(
      refundBlockerText(RefundBlocker.AboveLimit, { limitMinor: 5000, currency: 'JPY' }),
      'Above the JPY 5,000 automation limit',
    );
    assert.equal(
      refundBlockerText(RefundBlocker.AboveLimit, { limitMinor: 5000, currency: 'KWD' }),
      'Above the KWD 5.000 automation limit',
    );
    assert.equal(refundBlockerText(RefundBlocker.AboveLimit), 'Above the automation limit', 'without a known limit, still words');
    assert.equal(refundBlockerText(RefundBlocker.CurrencyNotAutomated, { currency: 'EUR' }), 'No automation limit is set for EUR');
  });

  it('words what the refund rule really returns, in its order', () => {
    const d = refundAutomation(
      refundInput({}, { amount: { amountMinor: 20000, currency: 'USD' }, refundReason: 'changed_mind', customerTier: 'vip' }),
      policy,
      { vip: false, earlierRefund: false },
    );
    assert.deepEqual(d.blockers, [RefundBlocker.AboveLimit, RefundBlocker.Vip, RefundBlocker.ReasonNotAllowed, RefundBlocker.NoInvoice]);
    assert.equal(
      refundBlockersText(d.blockers, { limitMinor: d.limitMinor, currency: 'USD' }),
      'Above the USD 50.00 automation limit; VIP customer; The reason is not one the policy refunds automatically; No invoice was named, so what was paid cannot be checked',
    );
    assert.equal(refundBlockersText([]), '');
  });

  it('words every review reason', () => {
    for (const code of Object.values(ReviewReason)) assertWords(reviewReasonText(code), code);
    assert.equal(reviewReasonsText([ReviewReason.Vip, ReviewReason.ChangesLegalRecord]), 'VIP customer; Changes a legal or tax record');
  });

  it('words every case status; distinct statuses read differently', () => {
    const texts = Object.values(CaseStatus).map((s) => {
      assertWords(caseStatusText(s), s);
      return caseStatusText(s);
    });
    assert.equal(new Set(texts).size, texts.length);
    assert.equal(caseStatusText(CaseStatus.AwaitingApproval), 'Awaiting approval');
  });

  it('words every money refusal; the money rules word their own not-automatable detail too', () => {
    for (const code of Object.values(MoneyRefusal)) assertWords(moneyRefusalText(code), code);
    const input = refundInput({}, { amount: { amountMinor: 9000, currency: 'USD' } });
    const check = checkMoneyMove(
      {
        amount: { amountMinor: 9000, currency: 'USD' },
        customer: { id: '1', currency: 'USD' },
        invoice: { docNumber: 'INV-1002', customerId: '1', currency: 'USD', paidMinor: 10000 },
        refundedMinor: 0,
      },
      { kind: 'automation', input, vip: false },
      policy,
    );
    assert.equal(check.ok, false);
    if (!check.ok) {
      assert.equal(check.code, MoneyRefusal.NotAutomatable);
      assert.match(check.reason, /Above the USD 50\.00 automation limit/);
      assert.ok(!check.reason.includes('above_limit'));
    }
  });

  it('reads caller reasons: codes as sentences, free text kept as said, unknown codes still words', () => {
    assert.equal(callerReasonText('duplicate_charge'), 'Duplicate charge');
    assert.equal(callerReasonText('  BILLING_ERROR '), 'Billing error');
    assert.equal(callerReasonText('service-not-delivered'), 'Service not delivered');
    assert.equal(callerReasonText('some_reason_nobody_listed'), 'Some reason nobody listed');
    assert.equal(
      callerReasonText('charged twice for March, see INV-1002'),
      'Charged twice for March, see INV-1002',
      'free text is not rewritten',
    );
    assert.equal(callerReasonText('fraud'), 'Fraud');
    assert.equal(callerReasonText(''), '');
    assert.equal(callerReasonText(undefined), '');
    assert.equal(readableCode('__odd__code__'), 'Odd code');
  });
});

describe('customerPlatformName', () => {
  it('names only known platforms; free text from the CRM is never a name', () => {
    assert.equal(customerPlatformName('bank_transfer'), 'bank transfer');
    assert.equal(customerPlatformName(' Stripe '), 'Stripe');
    assert.equal(customerPlatformName('our refund portal https://evil.example'), undefined);
    assert.equal(customerPlatformName(undefined), undefined);
    assert.equal(customerPlatformName('constructor'), undefined);
  });
});
