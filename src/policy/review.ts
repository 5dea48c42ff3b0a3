/**
 * Which requests need a person (docs/product.md §5): low-confidence matches, sensitive requests,
 * high-value (VIP) customers, and anything that changes money, access, legal terms or customer
 * commitments, unless an explicit automation policy allows it.
 */
import type { CaseInput } from '../domain/case';
import type { MoneyPolicy } from '../domain/policy';
import { isVip } from './refund';

export const ReviewReason = {
  LowConfidence: 'low_confidence',
  Sensitive: 'sensitive_request',
  Vip: 'vip_customer',
  ChangesMoney: 'changes_money',
  ChangesLegalRecord: 'changes_legal_or_tax_record',
  ChangesCommitment: 'changes_customer_commitment',
  UnverifiedRecipient: 'unverified_recipient',
} as const;
export type ReviewReason = (typeof ReviewReason)[keyof typeof ReviewReason];

/** What the action about to run would do. */
export interface ActionImpact {
  changesMoney?: boolean;
  changesLegalRecord?: boolean;
  changesCommitment?: boolean;
  /** A document would go to an address not on file. */
  unverifiedRecipient?: boolean;
  /** The CRM says VIP (the call's `customer_tier` is checked too). */
  vip?: boolean;
  /** An explicit automation policy (e.g. refundAutomation) allows this action without review. */
  automationAllows?: boolean;
}

/** Every reason this action needs review; empty = it may run unattended. */
export function reviewReasons(
  input: Pick<CaseInput, 'fields' | 'intentConfidence' | 'suppressed'>,
  impact: ActionImpact,
  policy: Pick<MoneyPolicy, 'automationMinConfidence'>,
): ReviewReason[] {
  // An explicit automation policy has already weighed confidence, tier and sensitivity for this action.
  if (impact.automationAllows) return impact.unverifiedRecipient ? [ReviewReason.UnverifiedRecipient] : [];
  const reasons: ReviewReason[] = [];
  const consequential = impact.changesMoney || impact.changesLegalRecord || impact.changesCommitment;
  if (consequential && (input.intentConfidence === undefined || input.intentConfidence < policy.automationMinConfidence)) {
    reasons.push(ReviewReason.LowConfidence);
  }
  if (consequential && input.suppressed.length > 0) reasons.push(ReviewReason.Sensitive);
  if (consequential && (impact.vip || isVip(input.fields.customerTier))) reasons.push(ReviewReason.Vip);
  if (impact.changesMoney) reasons.push(ReviewReason.ChangesMoney);
  if (impact.changesLegalRecord) reasons.push(ReviewReason.ChangesLegalRecord);
  if (impact.changesCommitment) reasons.push(ReviewReason.ChangesCommitment);
  if (impact.unverifiedRecipient) reasons.push(ReviewReason.UnverifiedRecipient);
  return reasons;
}
