/**
 * What a case asks the money path to move (docs/product.md §7): for whom, how much, on which
 * invoice, how it goes back, who to mention, and on what authority. Shared by the money path
 * (./money-path.ts) and its legs (./skyfire-payment.ts, ./card-refund.ts, ./owned-return.ts). Types only.
 */
import type { MoneyAuthorityInput } from '../activities/money-contract';
import type { Money } from '../domain/case';
import type { DisputePlan } from '../policy/dispute-plan';

/** A refund or credit a case wants to make, with the authority it acts on. */
export interface RefundOrder {
  customerId: string;
  amount: Money;
  /** QuickBooks Invoice.Id (the ledger's key); the DocNumber beside it is for people. */
  invoiceId?: string;
  invoiceNumber?: string;
  /** CreditMemo when the caller asked for credit; `balance_credit` = a CreditMemo applied to the invoice's unpaid balance. */
  kind: 'refund_receipt' | 'credit_memo' | 'balance_credit';
  paysThroughSkyfire: boolean;
  /** Where the customer pays, as the CRM says (`payment_platform`): another platform than QuickBooks or Skyfire means a person returns the money there. */
  paymentPlatform?: string;
  /** The account owner (HubSpot owner id, Slack user id, name): owns a return the service cannot make. */
  owner?: { id: string; slackUserId?: string; name?: string };
  /** HubSpot contact the owner's task is associated with. */
  contactId?: string;
  /** Slack user ids to mention when finance must step in. */
  mentions: string[];
  /** The automation policy, or the approvals (with their proofs; verified again by the activity). */
  authority: MoneyAuthorityInput;
  /** An accepted dispute's two-leg plan (what its approvals signed); each leg is its part of it. */
  plan?: DisputePlan;
}
