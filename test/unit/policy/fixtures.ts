import type { CaseInput, CasePolicy } from '../../../src/domain/case';

export const policy: CasePolicy = {
  refundAutomationLimitMinor: 5000,
  twoPersonThresholdMinor: 100000,
  automationMinConfidence: 0.85,
  automatableRefundReasons: ['duplicate_charge', 'billing_error'],
  approvers: ['U0FIN0001', 'U0FIN0002'],
  secondTierApprovers: ['U0CFO0001'],
  financeChannel: 'C0FINANCE',
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
    fields: { accountId: 'ACME-001', invoiceNumber: 'INV-1002', amount: { amountMinor: 2500, currency: 'USD' }, refundReason: 'duplicate_charge', ...fields },
    intentConfidence: 0.95,
    suppressed: [],
    receivedAt: '2026-11-26T12:00:00Z',
    policy,
    ...over,
  };
}
