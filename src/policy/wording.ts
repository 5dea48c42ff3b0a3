/**
 * The words people read for the codes cases carry (issue 17): why a refund was not automated, why
 * a person reviews, what state a case is in, the caller's stated reason, why the money path refused.
 * One vocabulary, so Slack, Zendesk notes and the billing note say the same thing. Pure; codes stay
 * the machine's language in history, search attributes and metrics.
 */
import type { CaseStatus, Money } from '../domain/case';
import { formatMoney } from '../domain/money';
import type { MoneyRefusal } from './money-refusal';
import type { RefundBlocker } from './refund';
import type { ReviewReason } from './review';

const BLOCKER_TEXT: Record<RefundBlocker, string> = {
  no_amount: 'No refund amount was given',
  above_limit: 'Above the automation limit',
  vip_customer: 'VIP customer',
  low_confidence: 'The call was not understood with enough confidence',
  reason_not_allowed: 'The reason is not one the policy refunds automatically',
  sensitive_data: 'The call contained sensitive data (removed)',
  earlier_refund: 'The invoice was refunded or credited before',
  exceeds_amount_paid: 'More than what is left to refund on the invoice',
  invoice_not_found: 'The invoice named on the call was not found',
  no_invoice: 'No invoice was named, so what was paid cannot be checked',
  currency_not_automated: 'No automation limit is set for this currency',
  currency_differs_from_customer: 'Not in the currency the customer is billed in',
  invoice_of_another_customer: 'The invoice belongs to another customer',
  reconciliation_hold: 'The ledger reconciliation found something on this customer that a person has not cleared yet',
  unsigned_facts: 'The request did not come signed from the call intake (or was changed after it): check it against the call',
  no_duplicate_payment_evidence: 'QuickBooks shows no second payment on the invoice for this amount',
  no_evidence_for_reason: 'No system of record can confirm this reason',
};

/**
 * Why a refund was not automated. With the limit that applied (minor units of `currency`), the
 * above-limit text names it: "Above the USD 50.00 automation limit".
 */
export function refundBlockerText(blocker: RefundBlocker, limit?: { limitMinor?: number; currency?: string }): string {
  if (blocker === 'above_limit' && limit?.limitMinor !== undefined && limit.currency) {
    return `Above the ${formatMoney(limit.limitMinor, limit.currency)} automation limit`;
  }
  if (blocker === 'currency_not_automated' && limit?.currency) return `No automation limit is set for ${limit.currency}`;
  return BLOCKER_TEXT[blocker] ?? readableCode(blocker);
}

/** Every blocker, in the order given, as one line ("Above the USD 50.00 automation limit; VIP customer"). */
export function refundBlockersText(blockers: readonly RefundBlocker[], limit?: { limitMinor?: number; currency?: string }): string {
  return blockers.map((b) => refundBlockerText(b, limit)).join('; ');
}

const UNVERIFIED_FACTS_TEXT: Record<string, string> = {
  unsigned: 'not signed by the call intake',
  malformed: 'carry a malformed signature',
  bad_mac: 'changed after the call intake signed them',
};

/** The case's facts did not verify (src/proofs/case-facts.ts), as the fact a person reads. */
export function unverifiedFactsText(reason: string): string {
  return `Request facts ${UNVERIFIED_FACTS_TEXT[reason] ?? readableCode(reason).toLowerCase()}: nothing is automated on them`;
}

/**
 * What QuickBooks shows paid on an invoice, for the approver: "payment 3001 USD 450.00, payment
 * 3003 USD 450.00 (USD 900.00 applied to a USD 450.00 invoice, USD 450.00 above its total)".
 */
export function invoicePaymentsText(found: { payments: { id: string; applied: Money }[] }, total: Money): string {
  const ps = found.payments.filter((p) => p.applied.amountMinor > 0);
  if (ps.length === 0) return 'none found';
  const list = ps.map((p) => `payment ${p.id} ${formatMoney(p.applied.amountMinor, p.applied.currency)}`).join(', ');
  const applied = ps.filter((p) => p.applied.currency === total.currency).reduce((s, p) => s + p.applied.amountMinor, 0);
  const above = applied - total.amountMinor;
  return `${list} (${formatMoney(applied, total.currency)} applied to a ${formatMoney(total.amountMinor, total.currency)} invoice${
    above > 0 ? `, ${formatMoney(above, total.currency)} above its total` : ''
  })`;
}

const REVIEW_TEXT: Record<ReviewReason, string> = {
  low_confidence: 'The call was not understood with enough confidence',
  sensitive_request: 'Sensitive request',
  vip_customer: 'VIP customer',
  changes_money: 'Changes money',
  changes_legal_or_tax_record: 'Changes a legal or tax record',
  changes_customer_commitment: 'Changes a commitment to the customer',
  unverified_recipient: 'The recipient is not an address on file',
};

/** Why a person reviews this action. */
export function reviewReasonText(reason: ReviewReason): string {
  return REVIEW_TEXT[reason] ?? readableCode(reason);
}

export function reviewReasonsText(reasons: readonly ReviewReason[]): string {
  return reasons.map(reviewReasonText).join('; ');
}

const STATUS_TEXT: Record<CaseStatus, string> = {
  received: 'Received',
  gathering: 'Gathering the facts',
  awaiting_approval: 'Awaiting approval',
  escalated: 'Escalated to second-tier approvers',
  executing: 'Being carried out',
  waiting_for_customer: 'Waiting for the customer',
  completed: 'Completed',
  rejected: 'Rejected, nothing was done',
  expired: 'Expired without a decision, nothing was done',
  needs_attention: 'Needs attention',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** A case's status as a person reads it. */
export function caseStatusText(status: CaseStatus): string {
  return STATUS_TEXT[status] ?? readableCode(status);
}

/** What an approval request decides (`PendingApproval.kind`), as a heading: the Home tab lists requests by it. */
const APPROVAL_KIND_TEXT: Record<string, string> = {
  refund: 'Refund approval',
  address_change: 'Billing details change',
  dispute: 'Charge dispute',
  triage: 'Unclear call: choose the case',
  acknowledge: 'Customer cannot pay: acknowledge',
  recipient: 'Send to an address not on file',
};

/** A request's kind in words ("Refund approval"); unknown kinds still read as words. */
export function approvalKindText(kind: string): string {
  return APPROVAL_KIND_TEXT[kind] ?? readableCode(kind);
}

const REFUSAL_TEXT: Record<MoneyRefusal, string> = {
  customer_not_found: 'The account has no QuickBooks customer',
  currency_mismatch: 'Not in the currency the customer or invoice is billed in',
  invoice_not_found: 'The invoice named on the call was not found',
  invoice_of_another_customer: 'The invoice belongs to another customer',
  already_refunded: 'Everything paid on the invoice was already refunded or credited',
  nothing_paid: 'Nothing was paid on the invoice',
  exceeds_amount_paid: 'More than what is left to refund on the invoice',
  balance_already_credited: 'The open balance of the invoice was already credited',
  exceeds_open_balance: 'More than what is left open to credit on the invoice',
  not_automatable: 'The automation policy no longer allows it',
  approvals_insufficient: 'The approvals no longer satisfy the policy',
  released: 'The write did not happen, so the reservation was released',
  ledger_conflict: "This case's money step is already in the ledger for something else",
};

/** Why the money path refused, in a heading's words (the refusal's own reason gives the detail). */
export function moneyRefusalText(code: MoneyRefusal): string {
  return REFUSAL_TEXT[code] ?? readableCode(code);
}

/**
 * A reason the caller gave (refund or dispute reason): free text or a code such as
 * `duplicate_charge`. Codes read as a sentence ("Duplicate charge"); anything else is kept as
 * said, trimmed, with its first letter capitalised. Empty input gives an empty string.
 */
export function callerReasonText(reason: string | undefined): string {
  const r = (reason ?? '').trim();
  if (!r) return '';
  return /^[A-Za-z0-9]+([_-][A-Za-z0-9]+)*$/.test(r) ? readableCode(r) : r.charAt(0).toUpperCase() + r.slice(1);
}

/** `some_code` / `some-code` -> "Some code": an unknown code still reads as words. */
export function readableCode(code: string): string {
  const words = code.replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim().toLowerCase();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : '';
}

/**
 * The payment platform as a customer may read it: only names from this list. The CRM's
 * `payment_platform` is free text anyone with HubSpot access can edit, so it never reaches a
 * customer in the service's voice (attack F5: a "platform" that was a phishing sentence with a
 * link); anything else reads "the way you paid". Finance still sees the CRM's words (encoded).
 */
const CUSTOMER_PLATFORM_NAMES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    stripe: 'Stripe',
    paypal: 'PayPal',
    square: 'Square',
    braintree: 'Braintree',
    adyen: 'Adyen',
    ach: 'ACH bank transfer',
    bank_transfer: 'bank transfer',
    'bank transfer': 'bank transfer',
    wire: 'wire transfer',
    wire_transfer: 'wire transfer',
    sepa: 'SEPA transfer',
    check: 'check',
    cheque: 'cheque',
  }),
);

/** `through Stripe` for a known platform, else undefined (say "the way you paid"). */
export function customerPlatformName(platform: string | undefined): string | undefined {
  return CUSTOMER_PLATFORM_NAMES.get((platform ?? '').trim().toLowerCase());
}
