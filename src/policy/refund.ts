/**
 * Refund automation (docs/product.md §4 `refund_request`): a refund runs without a person only when
 * every rule allows it. Each failed rule is named, so the Slack request and the audit trail say
 * why a person was asked.
 */
import type { CaseInput, Money } from '../domain/case';
import type { MoneyPolicy } from '../domain/policy';
import { effectiveApprovalThreshold } from './thresholds';

/** Why a refund could not be automated. */
export const RefundBlocker = {
  NoAmount: 'no_amount',
  AboveLimit: 'above_limit',
  Vip: 'vip_customer',
  LowConfidence: 'low_confidence',
  ReasonNotAllowed: 'reason_not_allowed',
  Suppressed: 'sensitive_data',
  EarlierRefund: 'earlier_refund',
  /** More than the customer paid on the named invoice (or in another currency): never automated. */
  ExceedsAmountPaid: 'exceeds_amount_paid',
  InvoiceNotFound: 'invoice_not_found',
  /**
   * The call named no invoice: what was paid, refunded before, and whose it is cannot be checked,
   * so nothing bounds how often such a refund could run unattended.
   */
  NoInvoice: 'no_invoice',
  /** No automation limit is configured for the refund's currency. */
  CurrencyNotAutomated: 'currency_not_automated',
  /** The refund's currency is not the QuickBooks customer's currency. */
  CurrencyMismatch: 'currency_differs_from_customer',
  /** The named invoice belongs to another QuickBooks customer than the caller's account. */
  InvoiceOfAnotherCustomer: 'invoice_of_another_customer',
  /** The ledger reconciliation found something on this customer that no person has cleared yet. */
  ReconciliationHold: 'reconciliation_hold',
  /** The case's facts are not the ones the intake signed (unsigned, altered, malformed): never automated. */
  UnsignedFacts: 'unsigned_facts',
  /** A duplicate charge, but QuickBooks shows no second payment (or overpayment) on the invoice covering the amount asked. */
  NoDuplicatePaymentEvidence: 'no_duplicate_payment_evidence',
  /** An automatable reason whose evidence no system of record can show (e.g. a service outage): a person decides. */
  NoEvidenceForReason: 'no_evidence_for_reason',
} as const;
export type RefundBlocker = (typeof RefundBlocker)[keyof typeof RefundBlocker];

/** Facts learned from the systems of record that the rule needs besides the call. */
export interface RefundFacts {
  /** The CRM or the call says VIP. */
  vip: boolean;
  /** A RefundReceipt/CreditMemo already references this invoice. */
  earlierRefund: boolean;
  /**
   * What the customer paid on the named invoice (total minus open balance), when the call named one.
   * `null`: the call named an invoice that was not found. Absent: no invoice named.
   */
  invoicePaid?: { amountMinor: number; currency: string } | null;
  /** Refunded or credited on that invoice already, by any case (minor units of the invoice's currency). */
  alreadyRefundedMinor?: number;
  /** The QuickBooks customer's currency, when the account was found. */
  customerCurrency?: string;
  /** False when the named invoice belongs to another customer than the caller's account. */
  invoiceIsCallers?: boolean;
  /** Open reconciliation holds on the customer (the money ledger's findings nobody cleared yet). */
  holds?: number;
  /** The case's facts verified against the intake's attestation (with `evidenceRequired`; anything but true blocks). */
  factsVerified?: boolean;
  /** The payments QuickBooks shows on the named invoice (with `evidenceRequired`; absent = nothing found). */
  invoicePayments?: InvoicePaymentsFacts;
}

/**
 * What counts as evidence for each reason a refund may be automated for (issue 21: automation on
 * evidence, not on the caller's word). Reasons are compared normalised (lower case, spaces and
 * hyphens as underscores), so "charged twice" is `charged_twice`.
 *
 * - `duplicate_payment`: QuickBooks shows the invoice paid more than once: the payments applied to
 *   it (Payment.Line[].LinkedTxn, TxnType Invoice) exceed its total by at least the amount asked.
 *   Two full payments of one invoice, or one payment above its total, qualify; instalments that
 *   add up to the total do not (more than one payment is not by itself a duplicate).
 * - A reason not listed here (`billing_error`, `service_outage`, any other the policy allows): no
 *   system the service reads can show it (an outage is in no system of record, a billing error is a
 *   judgement on the invoice's lines), so a person decides, shown what was found.
 */
export const REASON_EVIDENCE: Readonly<Record<string, 'duplicate_payment'>> = {
  duplicate_charge: 'duplicate_payment',
  duplicate_payment: 'duplicate_payment',
  double_charge: 'duplicate_payment',
  double_charged: 'duplicate_payment',
  charged_twice: 'duplicate_payment',
};

/** A reason as the evidence table and the policy list compare it. */
export function normaliseReason(reason: string | undefined): string {
  return (reason ?? '')
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/** The payments QuickBooks shows applied to the named invoice, with the invoice's total. */
export interface InvoicePaymentsFacts {
  total: Money;
  payments: { id: string; applied: Money }[];
}

/** What the payments on an invoice show about a duplicate charge of `asked`. */
export interface DuplicatePaymentEvidence {
  shown: boolean;
  /** Payments with an amount applied to the invoice (in its currency). */
  count: number;
  /** Applied to the invoice in all, minor units of its currency. */
  appliedMinor: number;
  /** Applied beyond the invoice's total (0 when not above it). */
  excessMinor: number;
}

/** Whether QuickBooks shows the invoice paid twice for at least `asked` (see REASON_EVIDENCE). */
export function duplicatePaymentEvidence(p: InvoicePaymentsFacts | undefined, asked: Money | undefined): DuplicatePaymentEvidence {
  if (!p) return { shown: false, count: 0, appliedMinor: 0, excessMinor: 0 };
  const inCurrency = p.payments.filter((x) => x.applied.currency === p.total.currency && x.applied.amountMinor > 0);
  const appliedMinor = inCurrency.reduce((s, x) => s + x.applied.amountMinor, 0);
  const excessMinor = Math.max(0, appliedMinor - p.total.amountMinor);
  const shown = asked !== undefined && asked.currency === p.total.currency && asked.amountMinor > 0 && excessMinor >= asked.amountMinor;
  return { shown, count: inCurrency.length, appliedMinor, excessMinor };
}

export interface RefundAutomationDecision {
  automate: boolean;
  /** Empty when `automate` is true. */
  blockers: RefundBlocker[];
  /** The limit that applied (minor units of the refund's currency): the stricter of policy and call; undefined = none configured. */
  limitMinor?: number;
}

/** The tier label DialNexa and the CRM use for high-value customers. */
export function isVip(tier: string | undefined): boolean {
  return tier !== undefined && tier.trim().toLowerCase() === 'vip';
}

/** Whether this refund may run without approval under `policy` (the worker's, now), and if not, every reason why not. */
export function refundAutomation(
  input: Pick<CaseInput, 'fields' | 'intentConfidence' | 'suppressed'>,
  policy: Pick<MoneyPolicy, 'refundAutomationLimits' | 'automationMinConfidence' | 'automatableRefundReasons'>,
  facts: RefundFacts,
  // Off only for cases that decided before the rule existed (the workflow's patch), so they replay.
  // `evidenceRequired`: signed facts and the reason's evidence (issue 21). Off by default only so
  // callers that do not gather them yet keep their answer; the refund workflow turns it on
  // (patch `refund-signed-facts-evidence`).
  { invoiceRequired = true, evidenceRequired = false }: { invoiceRequired?: boolean; evidenceRequired?: boolean } = {},
): RefundAutomationDecision {
  const { fields } = input;
  const currency = fields.amount?.currency;
  const limitMinor = currency ? effectiveApprovalThreshold(policy, fields, currency) : undefined;
  const blockers: RefundBlocker[] = [];
  const amount = fields.amount?.amountMinor;
  if (amount === undefined || amount <= 0) blockers.push(RefundBlocker.NoAmount);
  else if (limitMinor === undefined) blockers.push(RefundBlocker.CurrencyNotAutomated);
  else if (amount > limitMinor) blockers.push(RefundBlocker.AboveLimit);
  if (facts.vip || isVip(fields.customerTier)) blockers.push(RefundBlocker.Vip);
  if (input.intentConfidence === undefined || input.intentConfidence < policy.automationMinConfidence)
    blockers.push(RefundBlocker.LowConfidence);
  const reason = fields.refundReason?.trim().toLowerCase();
  const reasonAllowed = !!reason && policy.automatableRefundReasons.map((r) => r.trim().toLowerCase()).includes(reason);
  if (!reasonAllowed) blockers.push(RefundBlocker.ReasonNotAllowed);
  if (evidenceRequired) {
    if (facts.factsVerified !== true) blockers.push(RefundBlocker.UnsignedFacts);
    if (reasonAllowed) {
      const evidence = REASON_EVIDENCE[normaliseReason(reason)];
      if (evidence === undefined) blockers.push(RefundBlocker.NoEvidenceForReason);
      else if (!duplicatePaymentEvidence(facts.invoicePayments, fields.amount).shown)
        blockers.push(RefundBlocker.NoDuplicatePaymentEvidence);
    }
  }
  if (input.suppressed.length > 0) blockers.push(RefundBlocker.Suppressed);
  if (facts.earlierRefund || (facts.alreadyRefundedMinor ?? 0) > 0) blockers.push(RefundBlocker.EarlierRefund);
  if (facts.customerCurrency && currency && facts.customerCurrency !== currency) blockers.push(RefundBlocker.CurrencyMismatch);
  if (facts.invoiceIsCallers === false) blockers.push(RefundBlocker.InvoiceOfAnotherCustomer);
  if (facts.invoicePaid === undefined && invoiceRequired) blockers.push(RefundBlocker.NoInvoice);
  if (facts.invoicePaid === null) blockers.push(RefundBlocker.InvoiceNotFound);
  if ((facts.holds ?? 0) > 0) blockers.push(RefundBlocker.ReconciliationHold);
  else if (facts.invoicePaid && fields.amount) {
    const left = facts.invoicePaid.amountMinor - (facts.alreadyRefundedMinor ?? 0);
    if (fields.amount.currency !== facts.invoicePaid.currency || fields.amount.amountMinor > left)
      blockers.push(RefundBlocker.ExceedsAmountPaid);
  }
  return { automate: blockers.length === 0, blockers, ...(limitMinor !== undefined ? { limitMinor } : {}) };
}
