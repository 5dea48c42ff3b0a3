/**
 * The worker-side policy and decision key the tests run with: the defaults of src/config/, built
 * by the same function, so a test's policy has a real version hash.
 */
import { buildMoneyPolicy } from '../../src/config/money-policy';
import type { MoneyPolicy } from '../../src/domain/policy';

export const APPROVER_1 = 'U0FIN0001';
export const APPROVER_2 = 'U0FIN0002';
export const CFO = 'U0CFO0001';
export const NOT_APPROVER = 'U0AGT0001';

/** The worker's money policy as configured by default (config.ts defaults), with overrides. */
export function testMoneyPolicy(over: Partial<Omit<MoneyPolicy, 'version'>> = {}): MoneyPolicy {
  return buildMoneyPolicy({
    refundAutomationLimits: { USD: 5000, EUR: 5000, GBP: 5000, JPY: 5000 },
    twoPersonThresholds: { USD: 100000, EUR: 100000, GBP: 100000, JPY: 150000 },
    automationMinConfidence: 0.85,
    automatableRefundReasons: ['duplicate_charge', 'billing_error', 'service_outage'],
    approvers: [APPROVER_1, APPROVER_2],
    secondTierApprovers: [CFO],
    financeChannel: 'C0FINANCE',
    ...over,
  });
}

/** The decision key the test API side signs with and the test workers verify with. */
export const TEST_DECISION_KEY = 'test-decision-key-0123456789abcdef0123456789abcdef';

/** A worker's policy that a test can change while cases wait (as a redeploy with new configuration would). */
export function mutablePolicy(initial: MoneyPolicy = testMoneyPolicy()) {
  let current = initial;
  return {
    get: () => current,
    set(over: Partial<Omit<MoneyPolicy, 'version'>>) {
      const { version: _v, ...rest } = current;
      current = buildMoneyPolicy({ ...rest, ...over });
    },
  };
}
