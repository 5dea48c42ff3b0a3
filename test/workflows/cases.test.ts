import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ApprovalRequestView, FinanceAlertView } from '../../src/domain/views';
import { caseWorkflowId } from '../../src/temporal/workflow-ids';
import { WORKFLOW_TYPE } from '../../src/domain/case';
import { DecisionAction, DecisionRejection } from '../../src/domain/decision';
import { statusQuery } from '../../src/workflows/messages';
import type { CaseState } from '../../src/domain/case-state';
import {
  APPROVER_1,
  APPROVER_2,
  CFO,
  assertRefused,
  caseEnv,
  caseInput,
  decide,
  decision,
  result,
  testPolicy,
  waitForRequest,
  waitForState,
  type CaseEnv,
} from './helpers';

describe('case workflows', function () {
  this.timeout(60_000);
  let env: CaseEnv | undefined;
  afterEach(async () => {
    await env?.stop();
    env = undefined;
  });

  describe('invoiceResend', () => {
    it('sends the invoice to the email on file, archives the PDF and notes the ticket', async () => {
      env = await caseEnv();
      const h = await env.start(caseInput('invoice_resend', { accountId: 'ACME-001', invoiceNumber: 'INV-1001' }));
      const s = await result(h);
      assert.equal(s.status, 'completed');
      const sent = env.fake.callsOf('sendInvoice', h.workflowId);
      assert.equal(sent.length, 1);
      assert.deepEqual([sent[0].input.invoiceId, sent[0].input.to], ['1001', 'billing@acme.example']);
      assert.equal(env.fake.callsOf('archiveDocument', h.workflowId)[0].input.kind, 'invoice_pdf');
      assert.equal(env.fake.callsOf('postApprovalRequest', h.workflowId).length, 0);
      assert.deepEqual(s.handoff.destinationObject?.id, '1001');
      // The handoff of docs/product.md §2: record, owner, next step, status and the record URL (the ticket, per the mapping).
      assert.equal(s.handoff.owner, 'support');
      assert.equal(s.handoff.status, 'completed');
      assert.equal(s.handoff.recordUrl, s.records.find((r) => r.system === 'zendesk')?.url);
      assert.ok(s.handoff.recordUrl);
    });

    it('sends an address not on file to review; rejected, nothing is sent and Slack never shows the address', async () => {
      env = await caseEnv();
      const h = await env.start(
        caseInput('invoice_resend', { accountId: 'ACME-001', invoiceNumber: 'INV-1001', customerEmail: 'someone@elsewhere.example' }),
      );
      const requestId = await waitForRequest(h);
      const view = env.fake.callsOf('postApprovalRequest', h.workflowId)[0].input.view as ApprovalRequestView;
      assert.doesNotMatch(JSON.stringify(view), /elsewhere\.example/);
      await decide(h, decision(requestId, APPROVER_1, DecisionAction.Reject));
      const s = await result(h);
      assert.equal(s.status, 'rejected');
      assert.equal(env.fake.callsOf('sendInvoice', h.workflowId).length, 0);
      assert.equal(env.fake.callsOf('archiveDocument', h.workflowId).length, 0);
      const internal = env.fake.callsOf('addTicketNote', h.workflowId).find((c) => c.input.step === 'recipient.review.note');
      assert.match(String(internal?.input.body), /someone@elsewhere\.example/, 'the reviewer reads the address in Zendesk');
    });
  });

  describe('receiptRequest', () => {
    it('sends the receipt for the payment to the verified email', async () => {
      env = await caseEnv();
      const h = await env.start(
        caseInput('receipt_request', { accountId: 'ACME-001', paymentId: '3001', customerEmail: 'BILLING@acme.example' }),
      );
      const s = await result(h);
      assert.equal(s.status, 'completed');
      const sent = env.fake.callsOf('sendReceipt', h.workflowId);
      assert.deepEqual([sent.length, sent[0].input.paymentId, sent[0].input.to], [1, '3001', 'billing@acme.example']);
    });

    // The recipient review invoice_resend and receipt_request share (workflows/recipient-review.ts),
    // from the receipt's side: each way it can end, and what the customer is told.
    const offFile = () =>
      caseInput('receipt_request', { accountId: 'ACME-001', paymentId: '3001', customerEmail: 'someone@elsewhere.example' });
    const publicNotes = (e: CaseEnv, workflowId: string) =>
      e.fake
        .callsOf('addTicketNote', workflowId)
        .filter((c) => c.input.public === true)
        .map((c) => String(c.input.body));

    it('an address not on file, approved: the receipt goes there once, with the approval the activity verifies', async () => {
      env = await caseEnv();
      const h = await env.start(offFile());
      const requestId = await waitForRequest(h);
      assert.equal(env.fake.callsOf('sendReceipt', h.workflowId).length, 0, 'nothing is sent before the decision');
      await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
      const s = await result(h);
      assert.equal(s.status, 'completed');
      const sent = env.fake.callsOf('sendReceipt', h.workflowId);
      assert.equal(sent.length, 1);
      assert.equal(sent[0].input.to, 'someone@elsewhere.example');
      const approval = sent[0].input.approval as { requestId: string; votes: { actor: { id: string } }[] };
      assert.equal(approval.requestId, requestId);
      assert.deepEqual(
        approval.votes.map((v) => v.actor.id),
        [APPROVER_1],
      );
    });

    it('an address not on file, rejected: nothing is sent and the customer is told why, in words about receipts', async () => {
      env = await caseEnv();
      const h = await env.start(offFile());
      await decide(h, decision(await waitForRequest(h), APPROVER_2, DecisionAction.Reject, { reason: 'not the customer' }));
      const s = await result(h);
      assert.equal(s.status, 'rejected');
      assert.match(s.reason ?? '', /address not on file rejected by .*: nothing sent/);
      assert.equal(env.fake.callsOf('sendReceipt', h.workflowId).length, 0);
      assert.deepEqual(
        publicNotes(env, h.workflowId).filter((b) => /only send/.test(b)),
        ['For your security we only send receipts to the billing email on file. Please contact us from that address.'],
      );
    });

    it('an address not on file, no decision in time: expires with nothing sent, and the ticket says so', async () => {
      env = await caseEnv();
      const policy = testPolicy({ reminderIntervalMs: 1000, escalateAfterMs: 1500, approvalTimeoutMs: 2500 });
      const h = await env.start(caseInput('receipt_request', offFile().fields, { policy }));
      const s = await result(h);
      assert.equal(s.status, 'expired');
      assert.match(s.reason ?? '', /^no decision within .* on an address not on file: nothing sent$/);
      assert.equal(env.fake.callsOf('sendReceipt', h.workflowId).length, 0);
      assert.ok(publicNotes(env, h.workflowId).some((b) => /so the receipt was not sent/.test(b)));
    });
  });

  describe('billingDetailsCorrection', () => {
    const newAddress = { line1: '500 Howard St', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' };

    it('always asks; shows old vs new; approved, retries a stale SyncToken and updates once', async () => {
      env = await caseEnv({ staleSyncTokenOnce: true });
      const h = await env.start(
        caseInput(
          'billing_details_correction',
          { accountId: 'ACME-001', newBillingAddress: newAddress },
          { suppressed: ['tax_identifier'] },
        ),
      );
      const requestId = await waitForRequest(h);
      const view = env.fake.callsOf('postApprovalRequest', h.workflowId)[0].input.view as ApprovalRequestView;
      assert.deepEqual(view.fields[0], {
        label: 'Billing address',
        value: '500 Howard St, San Francisco CA 94105, US',
        previous: '1 Market St, San Francisco CA 94105, US',
      });
      assert.match(view.noteLines.join('\n'), /\[tax identifier removed\]/);
      await decide(h, decision(requestId, APPROVER_2, DecisionAction.Approve));
      const s = await result(h);
      assert.equal(s.status, 'completed');
      const updates = env.fake.callsOf('updateBillingAddress', h.workflowId);
      assert.deepEqual(
        updates.map((u) => u.attempt),
        [1, 2],
      );
      assert.deepEqual(updates[1].input.address, newAddress);
    });

    it('refuses a correction without a complete new address', async () => {
      env = await caseEnv();
      const h = await env.start(
        caseInput('billing_details_correction', { accountId: 'ACME-001', newBillingAddress: { ...newAddress, postalCode: '' } }),
      );
      await assert.rejects(h.result(), (err: unknown) => {
        assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
        assert.equal(err.cause.type, 'InvalidCaseInput');
        assert.match(err.cause.message, /needs new_billing_address with line1, city, postal_code and country/);
        return true;
      });
      assert.equal(env.fake.callsOf('updateBillingAddress', h.workflowId).length, 0);
    });
  });

  describe('paymentBlocker', () => {
    const blocker = (policy = testPolicy()) =>
      caseInput(
        'payment_blocker',
        { accountId: 'GLOBEX-002', customerTier: 'vip', escalationReason: 'card declined at checkout' },
        { policy },
      );

    it('alerts finance at once mentioning the owner, with wallet and open invoices; acknowledged within the SLA', async () => {
      env = await caseEnv();
      const h = await env.start(blocker());
      const requestId = await waitForRequest(h);
      const alert = env.fake.callsOf('postFinanceAlert', h.workflowId)[0].input.view as FinanceAlertView;
      assert.deepEqual(alert.mentions, ['U0OWN0002']);
      assert.equal(alert.requestId, requestId);
      const shown = Object.fromEntries(alert.fields.map((f) => [f.label, f.value]));
      assert.equal(shown["Our Skyfire buyer wallet (the service's, not the customer's)"], 'USD 500.00 available');
      assert.match(shown['Open invoices'], /INV-2001 USD 2,400\.00/);
      assert.equal(env.fake.callsOf('openTicket', h.workflowId)[0].input.priority, 'urgent');
      await decide(h, decision(requestId, 'U0OWN0002', DecisionAction.Acknowledge));
      const s = await result(h);
      assert.equal(s.status, 'completed');
      assert.equal(s.reason, 'acknowledged within the SLA');
      assert.equal(env.fake.callsOf('postApprovalReminder', h.workflowId).length, 0);
    });

    it('escalates to the second tier when nobody acknowledges within the SLA', async () => {
      env = await caseEnv();
      const h = await env.start(blocker(testPolicy({ ackSlaMs: 1500, reminderIntervalMs: 60_000 })));
      const requestId = await waitForRequest(h);
      const escalated = await waitForState(h, (st) => st.status === 'escalated');
      assert.ok(escalated.pendingApproval?.eligibleApprovers.includes(CFO));
      // The escalation reply follows the status change (it is the next activity).
      await waitForState(h, () => env!.fake.callsOf('postApprovalReminder', h.workflowId).length > 0);
      const reminder = env.fake.callsOf('postApprovalReminder', h.workflowId)[0];
      assert.ok((reminder.input.mentions as string[]).includes(CFO));
      await decide(h, decision(requestId, CFO, DecisionAction.Acknowledge));
      const s = await result(h);
      assert.equal(s.status, 'completed');
      assert.equal(s.reason, 'acknowledged after escalation');
    });
  });

  describe('collections', () => {
    const promise = (policy = testPolicy({ defaultFollowUpMs: 1500 })) =>
      caseInput(
        'collections',
        { accountId: 'HOOLI-005', invoiceNumber: 'INV-5001', promisedNextStep: 'pay by card next week', paymentStatus: 'overdue' },
        { policy, suppressed: ['card_number'] },
      );

    it('writes the compliant note, waits for the promise, and tasks the owner when still unpaid', async () => {
      env = await caseEnv();
      const h = await env.start(promise());
      const waiting = await waitForState(h, (st) => st.status === 'waiting_for_customer');
      assert.ok(waiting.handoff.nextStepDeadline);
      const s = await result(h);
      assert.equal(s.status, 'completed');
      assert.equal(s.reason, 'unpaid at the deadline: owner tasked');
      const note = String(env.fake.callsOf('addCrmNote', h.workflowId)[0].input.body);
      assert.match(
        note,
        /Amount outstanding: USD 1,250\.00 \(invoice INV-5001\)\. Status: overdue\. Promised next step: pay by card next week\./,
      );
      assert.match(note, /\[card number removed\]/);
      assert.doesNotMatch(note, /ar@hooli\.example/);
      const task = env.fake.callsOf('createOwnerTask', h.workflowId);
      assert.deepEqual([task.length, task[0].input.ownerId], [1, '9001']);
    });

    it('closes without a task when the promise is kept', async () => {
      env = await caseEnv({ paidAfterReads: 1 });
      const h = await env.start(promise());
      const s = await result(h);
      assert.equal(s.reason, 'paid by the promised date');
      assert.equal(env.fake.callsOf('createOwnerTask', h.workflowId).length, 0);
    });
  });

  describe('renewalFailed', () => {
    it('gathers context, emails the approved follow-up on file, and escalates to the owner when unpaid', async () => {
      env = await caseEnv();
      const h = await env.start(
        caseInput(
          'renewal_failed',
          { accountId: 'INITECH-003', subscriptionId: 'SUB-3001' },
          { policy: testPolicy({ defaultFollowUpMs: 1000 }) },
        ),
      );
      const s = await result(h);
      assert.equal(s.status, 'completed');
      assert.equal(env.fake.callsOf('sendCustomerEmail', h.workflowId)[0].input.to, 'finance@initech.example');
      assert.equal(env.fake.callsOf('addCrmNote', h.workflowId)[0].input.dealId, '7001');
      assert.equal(env.fake.callsOf('createOwnerTask', h.workflowId)[0].input.ownerId, '9001');
      assert.deepEqual((env.fake.callsOf('postFinanceAlert', h.workflowId)[0].input.view as FinanceAlertView).mentions, ['U0OWN0001']);
      assert.equal(s.handoff.owner, 'U0OWN0001');
    });
  });

  describe('chargeDispute', () => {
    const dispute = () =>
      caseInput('charge_dispute', { accountId: 'ACME-001', invoiceNumber: 'INV-1001', disputeReason: 'not_recognized' });

    it('gathers evidence, and Accept on the unpaid INV-1001 leads into the money path as a credit of its balance', async () => {
      env = await caseEnv();
      const h = await env.start(dispute());
      const requestId = await waitForRequest(h);
      assert.deepEqual(
        env.fake.callsOf('archiveDocument', h.workflowId).map((c) => c.input.kind),
        ['invoice_pdf', 'evidence'],
      );
      await decide(h, decision(requestId, APPROVER_1, DecisionAction.Accept));
      const s = await result(h);
      assert.equal(s.status, 'completed');
      const credit = env.fake.callsOf('recordMoney', h.workflowId);
      assert.deepEqual(
        [credit.length, credit[0].input.step, credit[0].input.kind, (credit[0].input.amount as { amountMinor: number }).amountMinor],
        [1, 'dispute.credit.record', 'balance_credit', 12000],
      );
    });

    it('Accept on the paid INV-1002 leads into the refund path', async () => {
      env = await caseEnv();
      const h = await env.start(
        caseInput('charge_dispute', { accountId: 'ACME-001', invoiceNumber: 'INV-1002', disputeReason: 'not_recognized' }),
      );
      await decide(h, decision(await waitForRequest(h), APPROVER_1, DecisionAction.Accept));
      const s = await result(h);
      assert.equal(s.status, 'completed');
      const refund = env.fake.callsOf('recordMoney', h.workflowId);
      assert.deepEqual(
        [refund.length, refund[0].input.step, refund[0].input.kind, (refund[0].input.amount as { amountMinor: number }).amountMinor],
        [1, 'dispute.refund.record', 'refund_receipt', 45000],
      );
    });

    it('asks for information with a new request (the old one is stale), then contested: no money moves', async () => {
      env = await caseEnv();
      const h = await env.start(dispute());
      const first = await waitForRequest(h);
      await decide(h, decision(first, APPROVER_1, DecisionAction.NeedInfo, { reason: 'the date of the charge' }));
      const second = await waitForRequest(h, first);
      await assertRefused(decide(h, decision(first, APPROVER_2, DecisionAction.Accept)), DecisionRejection.StaleRequest);
      await decide(h, decision(second, APPROVER_2, DecisionAction.Contest));
      const s = await result(h);
      assert.equal(s.status, 'completed');
      assert.match(s.reason ?? '', /contested/);
      assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 0);
      assert.ok(
        env.fake
          .callsOf('addTicketNote', h.workflowId)
          .some((c) => c.input.public === true && /the date of the charge/.test(String(c.input.body))),
      );
    });
  });

  describe('triage', () => {
    it('asks which case this is, then starts the chosen case with its derived id', async () => {
      env = await caseEnv();
      const input = caseInput(
        'triage',
        { accountId: 'ACME-001', invoiceNumber: 'INV-1001', amount: { amountMinor: 12000, currency: 'USD' } },
        { intentConfidence: 0.4, candidateCaseTypes: ['refund_request', 'charge_dispute'] },
      );
      const h = await env.start(input);
      const requestId = await waitForRequest(h);
      const view = env.fake.callsOf('postApprovalRequest', h.workflowId)[0].input.view as ApprovalRequestView;
      assert.deepEqual(
        view.actions.slice(0, 2).map((a) => a.caseType),
        ['refund_request', 'charge_dispute'],
      );
      assert.equal(view.actions.at(-1)?.action, 'not_billing');
      await assertRefused(
        decide(h, decision(requestId, APPROVER_1, DecisionAction.ChooseCase, { caseType: 'triage' })),
        DecisionRejection.InvalidAction,
      );
      await decide(h, decision(requestId, APPROVER_1, DecisionAction.ChooseCase, { caseType: 'charge_dispute' }));
      const s = await result(h);
      const childId = caseWorkflowId(input.call.callId, 'charge_dispute');
      assert.deepEqual(s.startedCase, { caseType: 'charge_dispute', workflowId: childId });
      const child = env.client.workflow.getHandle(childId);
      const childState: CaseState = await waitForState(child, (st) => st.status === 'awaiting_approval');
      assert.equal(childState.caseType, 'charge_dispute');
      assert.equal((await child.query(statusQuery)).callId, input.call.callId);
      await child.terminate('test done');
    });

    it('never re-runs a case the call already ran, even a closed one (the intake id-reuse policy)', async () => {
      env = await caseEnv();
      const input = caseInput(
        'triage',
        { accountId: 'ACME-001', paymentId: '3001' },
        { intentConfidence: 0.4, candidateCaseTypes: ['receipt_request'] },
      );
      // The receipt case of this call already ran to completion.
      const earlier = await env.client.workflow.start(WORKFLOW_TYPE.receipt_request, {
        args: [{ ...input, caseType: 'receipt_request', candidateCaseTypes: undefined }],
        taskQueue: env.taskQueue,
        workflowId: caseWorkflowId(input.call.callId, 'receipt_request'),
      });
      assert.equal(((await earlier.result()) as CaseState).status, 'completed');
      const sends = env.fake.callsOf('sendReceipt').length;
      const h = await env.start(input);
      await decide(h, decision(await waitForRequest(h), APPROVER_1, DecisionAction.ChooseCase, { caseType: 'receipt_request' }));
      const s = await result(h);
      assert.equal(s.status, 'completed');
      const latest = await env.client.workflow.getHandle(caseWorkflowId(input.call.callId, 'receipt_request')).describe();
      assert.equal(latest.runId, earlier.firstExecutionRunId, 'no second run of the closed case');
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(env.fake.callsOf('sendReceipt').length, sends, 'the receipt was not sent again');
    });
  });
});
