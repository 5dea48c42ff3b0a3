/**
 * Approval thresholds (product.md §5). Pure: the workflow and intake call them with the policy the
 * case started with.
 */
import type { BillingFields, CasePolicy } from '../domain/case';

/**
 * The amount (minor units) at or below which a money action may be automated: the stricter (lower)
 * of the configured automation limit and the call's own `approval_threshold`. A caller can only
 * tighten the rule, never loosen it; a nonsensical call value (negative, not an integer) is ignored.
 */
export function effectiveApprovalThreshold(policy: Pick<CasePolicy, 'refundAutomationLimitMinor'>, fields: Pick<BillingFields, 'approvalThresholdMinor'>): number {
  const fromCall = fields.approvalThresholdMinor;
  if (fromCall === undefined || !Number.isInteger(fromCall) || fromCall < 0) return policy.refundAutomationLimitMinor;
  return Math.min(policy.refundAutomationLimitMinor, fromCall);
}

/**
 * Distinct approvals a money action needs: two different people above the two-person threshold,
 * one otherwise. An unknown amount is treated as large (two), because it cannot be shown to be small.
 */
export function requiredApprovals(amountMinor: number | undefined, policy: Pick<CasePolicy, 'twoPersonThresholdMinor'>): 1 | 2 {
  if (amountMinor === undefined || !Number.isFinite(amountMinor)) return 2;
  return amountMinor > policy.twoPersonThresholdMinor ? 2 : 1;
}
