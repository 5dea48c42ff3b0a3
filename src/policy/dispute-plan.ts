/**
 * What accepting a charge dispute does with the money (issue 24): a dispute follows the money that
 * was paid. The part of the disputed amount still owed on the invoice is credited against its open
 * balance (a CreditMemo applied to it); the rest, up to what was paid and not yet refunded, is
 * refunded (or credited to the customer when they asked for credit). Pure: the workflow plans from
 * the invoice and the ledger, the approver approves the plan (its subject is signed), and the money
 * path checks each leg against it.
 *
 * Why a credit memo and not a void of the invoice: a void zeroes the invoice in place, so the
 * books no longer show what was billed nor why it is not owed, it cannot be bounded or attributed
 * by the ledger (it writes no record whose DocNumber names an entry), and it only fits a dispute of
 * the whole invoice with nothing paid. A CreditMemo applied to the invoice is one record the ledger
 * reserves, bounds and the reconciliation attributes, for any part of any balance; QuickBooks can
 * unapply it if the decision is reversed.
 */
import { formatMoney } from '../domain/money';

export interface DisputePlan {
  /** Credited against the invoice's open balance (minor units). */
  creditMinor: number;
  /** Refunded (or credited to the customer) out of what was paid (minor units). */
  refundMinor: number;
  /** The record the paid part becomes. */
  refundKind: 'refund_receipt' | 'credit_memo';
  /** Disputed but neither open nor paid-and-unrefunded on the invoice: nothing can be done with it. */
  uncoveredMinor: number;
}

/**
 * The plan for `amountMinor` disputed on an invoice with `openMinor` still owed (its balance less
 * credits pending against it) and `refundableMinor` paid and not yet refunded or credited.
 */
export function planDispute(
  amountMinor: number,
  facts: { openMinor: number; refundableMinor: number },
  refundKind: DisputePlan['refundKind'],
): DisputePlan {
  const creditMinor = Math.min(amountMinor, Math.max(0, facts.openMinor));
  const refundMinor = Math.min(amountMinor - creditMinor, Math.max(0, facts.refundableMinor));
  return { creditMinor, refundMinor, refundKind, uncoveredMinor: amountMinor - creditMinor - refundMinor };
}

/**
 * The subject an approver signs for a plan: its total, and a kind that names what is done with it.
 * One leg reads as that leg's kind (`balance_credit`, `refund_receipt`), so a dispute that only
 * refunds is approved exactly as before; two legs name both amounts, so neither can be changed.
 */
export function disputeSubject(
  plan: DisputePlan,
  currency: string,
  invoiceId?: string,
): { amountMinor: number; currency: string; invoiceId?: string; kind: string } {
  const kind =
    plan.creditMinor > 0 && plan.refundMinor > 0
      ? `balance_credit:${plan.creditMinor}+${plan.refundKind}:${plan.refundMinor}`
      : plan.creditMinor > 0
        ? 'balance_credit'
        : plan.refundKind;
  return { amountMinor: plan.creditMinor + plan.refundMinor, currency, ...(invoiceId ? { invoiceId } : {}), kind };
}

/** What Accept will do, in the approver's words ("credit the unpaid USD 2,400.00"). */
export function planText(plan: DisputePlan, currency: string): string {
  const parts = [
    plan.creditMinor > 0 ? `credit the unpaid ${formatMoney(plan.creditMinor, currency)} against the invoice` : undefined,
    plan.refundMinor > 0
      ? `${plan.refundKind === 'credit_memo' ? 'credit the customer' : 'refund'} ${formatMoney(plan.refundMinor, currency)} of what was paid`
      : undefined,
  ].filter(Boolean);
  return parts.join(', and ');
}
