/**
 * Refund automation (product.md §4 `refund_request`): a refund runs without a person only when
 * every rule allows it. Each failed rule is named, so the Slack request and the audit trail say
 * why a person was asked.
 */
import type { CaseInput } from '../domain/case';
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
  { invoiceRequired = true }: { invoiceRequired?: boolean } = {},
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
  if (!reason || !policy.automatableRefundReasons.map((r) => r.trim().toLowerCase()).includes(reason))
    blockers.push(RefundBlocker.ReasonNotAllowed);
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
