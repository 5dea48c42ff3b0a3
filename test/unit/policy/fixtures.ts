import type { CaseInput } from '../../../src/domain/case';
import type { CaseTimings, MoneyPolicy } from '../../../src/domain/policy';
import { buildMoneyPolicy } from '../../../src/config/money-policy';

/** The worker's money policy: per-currency limits in each currency's own minor units (JPY 0 decimals, KWD 3). */
export const policy: MoneyPolicy = buildMoneyPolicy({
  refundAutomationLimits: { USD: 5000, JPY: 5000, KWD: 5000 },
  twoPersonThresholds: { USD: 100000, JPY: 150000, KWD: 300000 },
  automationMinConfidence: 0.85,
  automatableRefundReasons: ['duplicate_charge', 'billing_error'],
  approvers: ['U0FIN0001', 'U0FIN0002'],
  secondTierApprovers: ['U0CFO0001'],
  financeChannel: 'C0FINANCE',
});

export const timings: CaseTimings = {
  reminderIntervalMs: 1000,
  escalateAfterMs: 2000,
  approvalTimeoutMs: 3000,
  ackSlaMs: 1000,
  defaultFollowUpMs: 1000,
};

/** A small, clean refund that every rule allows. Tests change one thing at a time. */
export function refundInput(over: Partial<CaseInput> = {}, fields: Partial<CaseInput['fields']> = {}): CaseInput {
  return {
    caseType: 'refund_request',
    call: { callId: 'call-1' },
    fields: {
      accountId: 'ACME-001',
      invoiceNumber: 'INV-1002',
      amount: { amountMinor: 2500, currency: 'USD' },
      refundReason: 'duplicate_charge',
      ...fields,
    },
    intentConfidence: 0.95,
    suppressed: [],
    receivedAt: '2026-11-26T12:00:00Z',
    policy: timings,
    ...over,
  };
}
