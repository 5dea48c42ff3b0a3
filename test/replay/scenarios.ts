/**
 * One real run per case type, driven to completion with fake activities: the runs whose histories
 * the replay test keeps (test/replay/histories). Each goes through the case's waits and decisions,
 * so the histories cover timers, updates, signals and child starts.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { CaseType } from '../../src/domain/case';
import { DecisionAction } from '../../src/domain/decision';
import { decideSignal, statusQuery } from '../../src/workflows/messages';
import { signDecision } from '../../src/proofs/decision-proof';
import {
  APPROVER_1,
  APPROVER_2,
  TEST_DECISION_KEY,
  caseInput,
  decide,
  decision,
  testPolicy,
  waitForRequest,
  type CaseEnv,
} from '../workflows/helpers';

export type Scenario = (env: CaseEnv) => Promise<WorkflowHandle>;

const quick = testPolicy({
  reminderIntervalMs: 800,
  escalateAfterMs: 1500,
  approvalTimeoutMs: 60_000,
  ackSlaMs: 1500,
  defaultFollowUpMs: 1000,
});

export const SCENARIOS: Record<CaseType, Scenario> = {
  async refund_request(env) {
    const h = await env.start(
      caseInput(
        'refund_request',
        {
          accountId: 'ACME-001',
          invoiceNumber: 'INV-1001',
          amount: { amountMinor: 150000, currency: 'USD' },
          refundReason: 'billing_error',
        },
        { policy: quick },
      ),
    );
    const id = await waitForRequest(h);
    await decide(h, decision(id, APPROVER_1, DecisionAction.Approve));
    // The second approval as a signal, with the proof the API makes (an unsigned one would be ignored).
    // A money approval carries what it approves (amount, currency, invoice, kind), as the Approve button shows it.
    const { subject } = (await h.query(statusQuery)).pendingApproval!;
    await h.signal(
      decideSignal,
      signDecision(TEST_DECISION_KEY, h.workflowId, decision(id, APPROVER_2, DecisionAction.Approve, subject ? { subject } : {})),
    );
    await h.result();
    return h;
  },
  async invoice_resend(env) {
    const h = await env.start(
      caseInput(
        'invoice_resend',
        { accountId: 'ACME-001', invoiceNumber: 'INV-1001', customerEmail: 'someone@elsewhere.example' },
        { policy: quick },
      ),
    );
    await decide(h, decision(await waitForRequest(h), APPROVER_1, DecisionAction.Reject));
    await h.result();
    return h;
  },
  async receipt_request(env) {
    const h = await env.start(caseInput('receipt_request', { accountId: 'ACME-001', paymentId: '3001' }, { policy: quick }));
    await h.result();
    return h;
  },
  async billing_details_correction(env) {
    const h = await env.start(
      caseInput(
        'billing_details_correction',
        {
          accountId: 'ACME-001',
          newBillingAddress: { line1: '500 Howard St', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' },
        },
        { policy: quick },
      ),
    );
    await decide(h, decision(await waitForRequest(h), APPROVER_2, DecisionAction.Approve));
    await h.result();
    return h;
  },
  async payment_blocker(env) {
    const h = await env.start(caseInput('payment_blocker', { accountId: 'GLOBEX-002', customerTier: 'vip' }, { policy: quick }));
    const id = await waitForRequest(h);
    // Past the SLA: escalation and a reminder are in the history.
    await new Promise((r) => setTimeout(r, 2500));
    await decide(h, decision(id, 'U0CFO0001', DecisionAction.Acknowledge));
    await h.result();
    return h;
  },
  async collections(env) {
    const h = await env.start(
      caseInput('collections', { accountId: 'HOOLI-005', invoiceNumber: 'INV-5001', promisedNextStep: 'pay next week' }, { policy: quick }),
    );
    await h.result();
    return h;
  },
  async renewal_failed(env) {
    const h = await env.start(caseInput('renewal_failed', { accountId: 'INITECH-003' }, { policy: quick }));
    await h.result();
    return h;
  },
  async charge_dispute(env) {
    const h = await env.start(
      caseInput('charge_dispute', { accountId: 'ACME-001', invoiceNumber: 'INV-1001', disputeReason: 'not_recognized' }, { policy: quick }),
    );
    const first = await waitForRequest(h);
    await decide(h, decision(first, APPROVER_1, DecisionAction.NeedInfo));
    await decide(h, decision(await waitForRequest(h, first), APPROVER_2, DecisionAction.Accept));
    await h.result();
    return h;
  },
  async triage(env) {
    const input = caseInput(
      'triage',
      { accountId: 'ACME-001' },
      { policy: quick, intentConfidence: 0.3, candidateCaseTypes: ['receipt_request'] },
    );
    const h = await env.start(input);
    await decide(h, decision(await waitForRequest(h), APPROVER_1, DecisionAction.ChooseCase, { caseType: 'receipt_request' }));
    await h.result();
    return h;
  },
};
