/**
 * The rules checked immediately before money moves (docs/product.md §7), whatever happened during the
 * wait: the invoice still belongs to the caller's customer, what all cases together refunded or
 * credited on it stays within what was paid, the currency is the customer's, and the authority the
 * case acts on (the automation policy, or the approvals) still holds under the worker's policy as
 * it is now. Pure: the money activity reads the facts and verifies the approvals' proofs, then asks
 * this module.
 */
import type { CaseInput, Money } from '../domain/case';
import { DecisionAction } from '../domain/decision';
import { eligibleApprovers, type MoneyPolicy } from '../domain/policy';
import { formatMoney } from '../domain/money';
import { refundAutomation } from './refund';
import { requiredApprovals } from './thresholds';
import { MoneyRefusal } from './money-refusal';
import { refundBlockersText } from './wording';

/** What the case acts on. */
export type MoneyAuthority =
  | {
      kind: 'automation';
      /** The intake's facts the automation rule weighs (validated, suppressed). */
      input: Pick<CaseInput, 'fields' | 'intentConfidence' | 'suppressed'>;
      vip: boolean;
      /** Set when the facts did not verify against the intake's attestation: never automated. */
      factsUnverified?: string;
    }
  | {
      kind: 'approval';
      /** The action that counts (approve; accept for a dispute). */
      countingAction: DecisionAction;
      escalated: boolean;
      /** Actors whose counting vote carried a valid proof for this case and request. */
      verifiedActors: string[];
    };

/** Facts re-read from the system of record under the invoice's lock. */
export interface MoneyFacts {
  amount: Money;
  /** The caller's QuickBooks customer; null = not found. */
  customer: { id: string; currency: string } | null;
  /** undefined = no invoice named; null = named but not found. */
  invoice?: { docNumber: string; customerId: string; currency: string; paidMinor: number } | null;
  /**
   * A credit against the invoice's unpaid balance (`balance_credit`): what was open on it before this
   * ledger's own applied credits, and the credits against it settled or pending. When present, this
   * bound applies instead of the paid one.
   */
  balance?: { openMinor: number; creditedMinor: number };
  /** Refunded or credited on the invoice by other cases or steps, settled or pending in the ledger (minor units of the invoice's currency). */
  refundedMinor: number;
  /**
   * Settled and pending on the customer within the policy's running-total window, before this
   * request: the approval tier is decided by this plus the request, so splitting a refund into
   * smaller ones never needs fewer approvers than asking for it at once.
   */
  windowTotalMinor?: number;
  /** Reconciliation findings on the customer nobody cleared: automated money waits for a person. */
  holds?: string[];
}

export type MoneyCheck =
  | { ok: true; policyVersion: string; approvalsRequired?: number }
  | { ok: false; code: MoneyRefusal; reason: string; policyVersion: string };

/** What the approval tier is decided on: the request plus what the customer had refunded or credited within the window. */
export function tierAmount(amount: Money, windowTotalMinor = 0): Money {
  return { amountMinor: amount.amountMinor + Math.max(0, windowTotalMinor), currency: amount.currency };
}

export function checkMoneyMove(facts: MoneyFacts, authority: MoneyAuthority, policy: MoneyPolicy): MoneyCheck {
  const refuse = (code: MoneyRefusal, reason: string): MoneyCheck => ({ ok: false, code, reason, policyVersion: policy.version });
  const { amount, customer, invoice } = facts;
  if (!customer) return refuse(MoneyRefusal.CustomerNotFound, "the caller's account has no QuickBooks customer");
  if (customer.currency !== amount.currency)
    return refuse(MoneyRefusal.CurrencyMismatch, `the amount is in ${amount.currency} but the customer is billed in ${customer.currency}`);
  if (invoice === null) return refuse(MoneyRefusal.InvoiceNotFound, 'the invoice named on the call does not exist');
  if (invoice) {
    if (invoice.customerId !== customer.id)
      return refuse(
        MoneyRefusal.InvoiceOfAnotherCustomer,
        `invoice ${invoice.docNumber} belongs to another customer than the caller's account`,
      );
    if (invoice.currency !== amount.currency)
      return refuse(
        MoneyRefusal.CurrencyMismatch,
        `invoice ${invoice.docNumber} is in ${invoice.currency}, the amount in ${amount.currency}`,
      );
    if (facts.balance) {
      const open = facts.balance.openMinor - facts.balance.creditedMinor;
      if (open <= 0)
        return refuse(
          MoneyRefusal.BalanceAlreadyCredited,
          `nothing is open to credit on ${invoice.docNumber}: its balance (${formatMoney(facts.balance.openMinor, invoice.currency)}) has already been credited or paid`,
        );
      if (amount.amountMinor > open)
        return refuse(
          MoneyRefusal.ExceedsOpenBalance,
          `${formatMoney(amount.amountMinor, amount.currency)} is more than what is left open to credit on ${invoice.docNumber} (${formatMoney(open, invoice.currency)} of ${formatMoney(facts.balance.openMinor, invoice.currency)} open)`,
        );
    }
    // The paid bound is for money that was paid; a balance credit has its own, above.
    const left = invoice.paidMinor - facts.refundedMinor;
    if (!facts.balance && invoice.paidMinor <= 0)
      return refuse(MoneyRefusal.NothingPaid, `nothing has been paid on ${invoice.docNumber}, so there is no payment to refund`);
    if (!facts.balance && left <= 0) {
      return refuse(
        MoneyRefusal.AlreadyRefunded,
        `everything paid on ${invoice.docNumber} (${formatMoney(invoice.paidMinor, invoice.currency)}) has already been refunded or credited`,
      );
    }
    if (!facts.balance && amount.amountMinor > left) {
      return refuse(
        MoneyRefusal.ExceedsAmountPaid,
        `${formatMoney(amount.amountMinor, amount.currency)} is more than what is left to refund on ${invoice.docNumber} (${formatMoney(left, invoice.currency)} of ${formatMoney(invoice.paidMinor, invoice.currency)} paid)`,
      );
    }
  }
  if (authority.kind === 'automation') {
    if (authority.factsUnverified)
      return refuse(
        MoneyRefusal.NotAutomatable,
        `the request's facts did not come signed from the call intake (${authority.factsUnverified}), so no money moves unattended`,
      );
    const rule = refundAutomation(authority.input, policy, {
      vip: authority.vip,
      earlierRefund: facts.refundedMinor > 0,
      alreadyRefundedMinor: facts.refundedMinor,
      customerCurrency: customer.currency,
      ...(invoice !== undefined
        ? {
            invoicePaid: invoice && { amountMinor: invoice.paidMinor, currency: invoice.currency },
            invoiceIsCallers: invoice.customerId === customer.id,
          }
        : {}),
    });
    if (!rule.automate)
      return refuse(
        MoneyRefusal.NotAutomatable,
        `the automation policy (version ${policy.version}) no longer allows it: ${refundBlockersText(rule.blockers, { limitMinor: rule.limitMinor, currency: amount.currency })}`,
      );
    if (facts.holds && facts.holds.length > 0)
      return refuse(
        MoneyRefusal.NotAutomatable,
        `the reconciliation found something on this customer that a person has not cleared yet (${facts.holds[0]}), so no money moves unattended`,
      );
    return { ok: true, policyVersion: policy.version };
  }
  const eligible = new Set(eligibleApprovers(policy, authority.escalated));
  const counted = [...new Set(authority.verifiedActors)].filter((id) => eligible.has(id));
  const required = requiredApprovals(tierAmount(amount, facts.windowTotalMinor), policy);
  if (counted.length < required) {
    return refuse(
      MoneyRefusal.ApprovalsInsufficient,
      `${counted.length} of ${required} required approval(s) hold under the policy now (version ${policy.version}, ${formatMoney(tierAmount(amount, facts.windowTotalMinor).amountMinor, amount.currency)} on this customer within ${Math.round(policy.runningTotalWindowMs / 86_400_000)} days including this request): an approver may have been removed, the threshold changed, or other refunds raised the running total`,
    );
  }
  return { ok: true, policyVersion: policy.version, approvalsRequired: required };
}
