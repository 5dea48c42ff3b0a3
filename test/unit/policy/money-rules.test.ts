import assert from 'node:assert/strict';
import { checkMoneyMove, type MoneyAuthority, type MoneyFacts } from '../../../src/policy/money-rules';
import { MoneyRefusal } from '../../../src/policy/money-refusal';
import { buildMoneyPolicy } from '../../../src/config/money-policy';
import { policy, refundInput } from './fixtures';

const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' });
const facts = (over: Partial<MoneyFacts> = {}): MoneyFacts => ({
  amount: usd(4000),
  customer: { id: '104', currency: 'USD' },
  invoice: { docNumber: 'INV-4001', customerId: '104', currency: 'USD', paidMinor: 4000 },
  refundedMinor: 0,
  ...over,
});
const approvedBy = (...verifiedActors: string[]): MoneyAuthority => ({
  kind: 'approval',
  countingAction: 'approve',
  escalated: false,
  verifiedActors,
});

describe('money rules, checked immediately before money moves', () => {
  it('allows a refund of what was paid, approved by an approver', () => {
    assert.deepEqual(checkMoneyMove(facts(), approvedBy('U0FIN0001'), policy), {
      ok: true,
      policyVersion: policy.version,
      approvalsRequired: 1,
    });
  });

  it('refuses a second full refund of a paid invoice, whoever approved it', () => {
    const r = checkMoneyMove(facts({ refundedMinor: 4000 }), approvedBy('U0FIN0001', 'U0FIN0002'), policy);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, MoneyRefusal.AlreadyRefunded);
  });

  it('refuses a refund on an invoice nothing was paid on, and says so (not "already refunded")', () => {
    const r = checkMoneyMove(
      facts({ invoice: { docNumber: 'INV-2001', customerId: '104', currency: 'USD', paidMinor: 0 } }),
      approvedBy('U0FIN0001'),
      policy,
    );
    assert.equal(!r.ok && r.code, MoneyRefusal.NothingPaid);
    assert.match(!r.ok ? r.reason : '', /nothing has been paid on INV-2001/);
  });

  it('a credit against the unpaid balance is bounded by what is open, not by what was paid', () => {
    const unpaid = { docNumber: 'INV-2001', customerId: '104', currency: 'USD', paidMinor: 0 };
    const credit = (amountMinor: number, creditedMinor: number) =>
      checkMoneyMove(
        facts({ amount: usd(amountMinor), invoice: unpaid, balance: { openMinor: 240000, creditedMinor } }),
        approvedBy('U0FIN0001', 'U0FIN0002'),
        policy,
      );
    assert.ok(credit(240000, 0).ok, 'the whole open balance, nothing paid');
    assert.ok(credit(40000, 200000).ok, 'the last of it');
    const over = credit(40001, 200000);
    assert.equal(!over.ok && over.code, MoneyRefusal.ExceedsOpenBalance);
    const none = credit(1, 240000);
    assert.equal(!none.ok && none.code, MoneyRefusal.BalanceAlreadyCredited);
    assert.match(!none.ok ? none.reason : '', /nothing is open to credit on INV-2001/);
  });

  it('allows partial refunds while their sum stays within what was paid, and refuses the one that would exceed it', () => {
    assert.ok(checkMoneyMove(facts({ amount: usd(1500), refundedMinor: 2500 }), approvedBy('U0FIN0001'), policy).ok);
    const r = checkMoneyMove(facts({ amount: usd(1501), refundedMinor: 2500 }), approvedBy('U0FIN0001'), policy);
    assert.equal(!r.ok && r.code, MoneyRefusal.ExceedsAmountPaid);
  });

  it("refuses an invoice of another customer, a missing invoice or customer, and a currency that is not the customer's", () => {
    const other = checkMoneyMove(
      facts({ invoice: { docNumber: 'INV-2001', customerId: '102', currency: 'USD', paidMinor: 240000 } }),
      approvedBy('U0FIN0001'),
      policy,
    );
    assert.equal(!other.ok && other.code, MoneyRefusal.InvoiceOfAnotherCustomer);
    assert.equal(
      (checkMoneyMove(facts({ invoice: null }), approvedBy('U0FIN0001'), policy) as { code: string }).code,
      MoneyRefusal.InvoiceNotFound,
    );
    assert.equal(
      (checkMoneyMove(facts({ customer: null }), approvedBy('U0FIN0001'), policy) as { code: string }).code,
      MoneyRefusal.CustomerNotFound,
    );
    assert.equal(
      (checkMoneyMove(facts({ customer: { id: '104', currency: 'EUR' } }), approvedBy('U0FIN0001'), policy) as { code: string }).code,
      MoneyRefusal.CurrencyMismatch,
    );
  });

  it('counts only approvers of the policy now: a removed approver no longer counts, two are needed above the threshold', () => {
    const big = facts({ amount: usd(150000), invoice: { docNumber: 'INV-1', customerId: '104', currency: 'USD', paidMinor: 200000 } });
    assert.ok(checkMoneyMove(big, approvedBy('U0FIN0001', 'U0FIN0002'), policy).ok);
    assert.equal((checkMoneyMove(big, approvedBy('U0FIN0001'), policy) as { code: string }).code, MoneyRefusal.ApprovalsInsufficient);
    assert.equal(
      (checkMoneyMove(big, approvedBy('U0FIN0001', 'U0FIN0001'), policy) as { code: string }).code,
      MoneyRefusal.ApprovalsInsufficient,
      'one person twice is one approval',
    );
    const { version: _v, ...rest } = policy;
    const without2 = buildMoneyPolicy({ ...rest, approvers: ['U0FIN0001'] });
    assert.notEqual(without2.version, policy.version);
    const r = checkMoneyMove(big, approvedBy('U0FIN0001', 'U0FIN0002'), without2);
    assert.equal(!r.ok && r.code, MoneyRefusal.ApprovalsInsufficient);
    assert.equal(r.policyVersion, without2.version, 'the refusal names the policy version it applied');
    assert.equal(
      (checkMoneyMove(facts(), approvedBy('U0CFO0001'), policy) as { code: string }).code,
      MoneyRefusal.ApprovalsInsufficient,
      'second tier only after escalation',
    );
    assert.ok(
      checkMoneyMove(facts(), { kind: 'approval', countingAction: 'approve', escalated: true, verifiedActors: ['U0CFO0001'] }, policy).ok,
    );
  });

  it('re-applies the automation policy now: a limit lowered since the case started stops the automated refund', () => {
    const automated: MoneyAuthority = {
      kind: 'automation',
      input: refundInput({}, { invoiceNumber: 'INV-4001', amount: usd(4000) }),
      vip: false,
    };
    assert.ok(checkMoneyMove(facts(), automated, policy).ok);
    const { version: _v, ...rest } = policy;
    const lower = buildMoneyPolicy({ ...rest, refundAutomationLimits: { USD: 1000 } });
    const r = checkMoneyMove(facts(), automated, lower);
    assert.equal(!r.ok && r.code, MoneyRefusal.NotAutomatable);
    assert.equal(
      (checkMoneyMove(facts({ refundedMinor: 100 }), automated, policy) as { code: string }).code,
      MoneyRefusal.ExceedsAmountPaid,
    );
  });

  it('works in each currency own minor units (JPY 0 decimals, KWD 3)', () => {
    const jpy = { docNumber: 'INV-J', customerId: '104', currency: 'JPY', paidMinor: 5000 };
    assert.ok(
      checkMoneyMove(
        { amount: { amountMinor: 5000, currency: 'JPY' }, customer: { id: '104', currency: 'JPY' }, invoice: jpy, refundedMinor: 0 },
        approvedBy('U0FIN0001'),
        policy,
      ).ok,
    );
    const kwd = { docNumber: 'INV-K', customerId: '104', currency: 'KWD', paidMinor: 4999 };
    const r = checkMoneyMove(
      { amount: { amountMinor: 5000, currency: 'KWD' }, customer: { id: '104', currency: 'KWD' }, invoice: kwd, refundedMinor: 0 },
      approvedBy('U0FIN0001'),
      policy,
    );
    assert.equal(!r.ok && r.code, MoneyRefusal.ExceedsAmountPaid);
    assert.match(!r.ok ? r.reason : '', /KWD 5\.000 is more than what is left to refund on INV-K \(KWD 4\.999 of KWD 4\.999 paid\)/);
  });
});
