/**
 * Approval thresholds (docs/product.md §5), per currency: an amount is compared only with a limit in its
 * own currency's minor units, never across currencies. Pure: the worker's gate and money activities
 * and the workflows call them with the policy the worker has now.
 */
import type { BillingFields, Money } from '../domain/case';
import type { MoneyPolicy } from '../domain/policy';

/** The automation limit for `currency`; undefined = that currency is never automated. */
export function automationLimit(policy: Pick<MoneyPolicy, 'refundAutomationLimits'>, currency: string): number | undefined {
  return Object.hasOwn(policy.refundAutomationLimits, currency) ? policy.refundAutomationLimits[currency] : undefined;
}

/**
 * The amount (minor units of `amount.currency`) at or below which a money action may be automated:
 * the stricter (lower) of the configured limit for that currency and the call's own
 * `approval_threshold` (given in the same currency as the amount). A caller can only tighten the
 * rule, never loosen it; a nonsensical call value (negative, not an integer) is ignored. undefined =
 * never automated.
 */
export function effectiveApprovalThreshold(
  policy: Pick<MoneyPolicy, 'refundAutomationLimits'>,
  fields: Pick<BillingFields, 'approvalThresholdMinor'>,
  currency: string,
): number | undefined {
  const limit = automationLimit(policy, currency);
  if (limit === undefined) return undefined;
  const fromCall = fields.approvalThresholdMinor;
  if (fromCall === undefined || !Number.isInteger(fromCall) || fromCall < 0) return limit;
  return Math.min(limit, fromCall);
}

/**
 * Distinct approvals a money action needs: two different people above the two-person threshold of
 * the amount's currency, one otherwise. An unknown amount, or a currency with no configured
 * threshold, needs two: it cannot be shown to be small.
 */
export function requiredApprovals(amount: Money | undefined, policy: Pick<MoneyPolicy, 'twoPersonThresholds'>): 1 | 2 {
  if (!amount || !Number.isFinite(amount.amountMinor)) return 2;
  const threshold = Object.hasOwn(policy.twoPersonThresholds, amount.currency) ? policy.twoPersonThresholds[amount.currency] : undefined;
  if (threshold === undefined) return 2;
  return amount.amountMinor > threshold ? 2 : 1;
}
