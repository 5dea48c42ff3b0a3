/**
 * Issue 24, finding 4: a refund returns money. For an invoice a QuickBooks Payments card charge
 * paid (Acme's INV-1002: payments 3001 and 3003 are charges), the case refunds the charge through
 * the Payments API before it records the RefundReceipt, and tells the customer only then. Against
 * the real worker, the real ledger and the sandbox's Payments API; each test reads what Intuit's
 * side received and holds (the charge's refunds), never what the code meant.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WORKFLOW_TYPE, type CaseInput } from '../../src/domain/case';
import { DecisionAction, DecisionRejection } from '../../src/domain/decision';
import { statusQuery } from '../../src/workflows/messages';
import type { CaseState } from '../../src/domain/case-state';
import { paymentsRefundRequestId } from '../../src/activities/money';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { startServiceWorker, testClient, NAMESPACE } from '../support/temporal';
import { Client as PgClient } from 'pg';
import type { ReconcileReport } from '../../src/activities/reconcile';
import { RECONCILE_WORKFLOW_TYPE } from '../../src/temporal/reconcile-schedule';
import { testLedgerUrl, truncateTestLedger } from '../support/ledger';
import { seedPaidInvoice } from '../../bench/lib/calls';
import {
  APPROVER_1,
  APPROVER_2,
  NOT_APPROVER,
  assertRefused,
  attested,
  caseInput,
  confirmMoneyReturned,
  decide,
  decision,
  result,
  testPolicy,
  waitForState,
} from './helpers';

interface ChargeView {
  id: string;
  amountMinor: number;
  refunds: { id: string; status: string; amount: string }[];
}

/** The duplicate charge on INV-1002 (payment 3003, USD 450.00): the one a refund of the duplicate goes back to. */
const DUPLICATE_CHARGE = 'EMU441923003';

const acmeDuplicateRefund = (): CaseInput =>
  caseInput('refund_request', {
    accountId: 'ACME-001',
    invoiceNumber: 'INV-1002',
    amount: { amountMinor: 45000, currency: 'USD' },
    refundReason: 'duplicate_charge',
  });

describe('a refund paid by a QuickBooks Payments charge goes back to the card before it is recorded (issue 24, finding 4)', function () {
  this.timeout(180_000);
  let sb: TestSandbox;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startServiceWorker>>;
  before(async () => {
    sb = await startSandbox();
    client = await testClient();
    worker = await startServiceWorker(sb.clients, { identity: 'card-refund' });
  });
  beforeEach(async () => {
    await sb.reset();
    await truncateTestLedger(worker.ledger);
  });
  after(async () => {
    await worker?.stop();
    await client?.connection.close();
    await sb?.close();
  });

  const start = (input: CaseInput): Promise<WorkflowHandle> =>
    client.workflow.start(WORKFLOW_TYPE[input.caseType], {
      args: [input],
      taskQueue: worker.taskQueue,
      workflowId: `case-${input.caseType}-${randomUUID()}`,
    });
  const isFinal = (s: string) => ['completed', 'rejected', 'needs_attention', 'cancelled', 'failed'].includes(s);
  const settle = async (h: WorkflowHandle): Promise<CaseState> => {
    const s = await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined || isFinal(st.status), 60_000);
    if (!isFinal(s.status) && s.pendingApproval) {
      const { requestId, required } = s.pendingApproval;
      await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
      if (required > 1) await decide(h, decision(requestId, APPROVER_2, DecisionAction.Approve));
    }
    return result(h);
  };
  const charge = async (id = DUPLICATE_CHARGE) =>
    ((await sb.control('/quickbooks-payments/charges')) as ChargeView[]).find((c) => c.id === id)!;
  const receipts = async () =>
    (await sb.control('/quickbooks/entities/RefundReceipt')) as {
      Id: string;
      TotalAmt: number;
      DocNumber?: string;
      PrivateNote?: string;
    }[];
  const refundPosts = () => sb.records('quickbooks-payments', (r) => r.method === 'POST' && /\/refunds$/.test(r.path));
  const entries = () => worker.ledger.entries(sb.clients.quickbooks.realmId);
  const publicWords = async () => JSON.stringify(await sb.records('zendesk', (r) => r.method !== 'GET'));
  const mails = async () =>
    JSON.stringify(((await sb.control('/gmail/sent')) as { subject: string; text: string }[]).map((m) => [m.subject, m.text]));
  /**
   * An operator's `temporal workflow reset` of the case's current run: to the end of the workflow
   * task `point` picks (default: the first), as the Web UI offers it. The new run's handle.
   */
  const resetCase = async (
    h: WorkflowHandle,
    reason: string,
    point: (events: NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>) => { eventId?: unknown } | undefined = (
      events,
    ) => events.find((e) => e.workflowTaskCompletedEventAttributes),
  ): Promise<WorkflowHandle> => {
    const to = point((await h.fetchHistory()).events ?? []);
    const reset = await client.workflowService.resetWorkflowExecution({
      namespace: NAMESPACE,
      workflowExecution: { workflowId: h.workflowId, runId: (await h.describe()).runId },
      reason: `test: ${reason}`,
      workflowTaskFinishEventId: to!.eventId as never,
      requestId: randomUUID(),
    });
    return client.workflow.getHandle(h.workflowId, reset.runId ?? undefined);
  };

  it('refunds the charge through QuickBooks Payments (Request-Id from the ledger entry), then records the RefundReceipt, then tells the customer', async () => {
    const h = await start(acmeDuplicateRefund());
    const s = await settle(h);
    assert.equal(s.status, 'completed', JSON.stringify(s.reason));
    const c = await charge();
    assert.deepEqual(
      c.refunds.map((r) => [r.status, r.amount]),
      [['ISSUED', '450.00']],
      'one refund of USD 450.00 on the duplicate charge',
    );
    const [post] = await refundPosts();
    assert.equal(post.path, `/quickbooks/v4/payments/charges/${DUPLICATE_CHARGE}/refunds`);
    assert.deepEqual((post.body as { amount: unknown }).amount, '450.00');
    const [entry] = await entries();
    assert.equal(entry.route, 'qb_payments');
    assert.equal(entry.state, 'settled');
    assert.equal(entry.refundId, c.refunds[0].id, 'the ledger keeps the refund as evidence');
    assert.equal(post.headers['request-id'], paymentsRefundRequestId(entry.key), 'the Request-Id is the ledger entry’s');
    // The RefundReceipt comes after the refund and names it.
    const [receipt] = await receipts();
    assert.equal(receipt.TotalAmt, 450);
    assert.equal(receipt.DocNumber, entry.ref);
    assert.match(receipt.PrivateNote ?? '', new RegExp(`QuickBooks Payments refund ${c.refunds[0].id} \\(ISSUED\\)`));
    const qboWrite = (await sb.records('quickbooks', (r) => r.method === 'POST' && /refundreceipt$/.test(r.path)))[0];
    assert.ok(qboWrite.seq > post.seq, 'the RefundReceipt is written after the card refund');
    assert.match(await publicWords(), /We refunded USD 450\.00 to your card \(QuickBooks Payments\)/);
    assert.doesNotMatch(await publicWords(), /has been issued/);
    assert.match(await mails(), /We refunded USD 450\.00 to your card/);
    // Issue 21: the card refund and its record are one activity (`recordMoney`), not two.
    const scheduled = ((await h.fetchHistory()).events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    assert.deepEqual(
      scheduled.filter((n) => n === 'recordMoney' || n === 'refundCharge'),
      ['recordMoney'],
    );
    assert.ok(
      s.records.some((r) => r.object === 'payments_refund' && r.id === c.refunds[0].id),
      'the case names the card refund',
    );
  });

  it('a KWD (3-decimal) invoice a card charge paid is not sent to the Payments API (two-decimal amounts): a person owns the return (attack F4)', async () => {
    await seedPaidInvoice(sb.url, { docNumber: 'INV-KWD1', accountId: 'GULF-007', totalMinor: 12500, currency: 'KWD' });
    const h = await start(
      caseInput('refund_request', {
        accountId: 'GULF-007',
        invoiceNumber: 'INV-KWD1',
        amount: { amountMinor: 12500, currency: 'KWD' },
        refundReason: 'customer_request',
      }),
    );
    const s = await waitForState(h, (st) => st.pendingApproval !== undefined || isFinal(st.status), 60_000);
    const first = s.pendingApproval!;
    await decide(h, decision(first.requestId, APPROVER_1, DecisionAction.Approve));
    if (first.required > 1) await decide(h, decision(first.requestId, APPROVER_2, DecisionAction.Approve));
    await waitForState(h, (st) => st.pendingApproval?.kind === 'refund_returned' || isFinal(st.status), 60_000);
    const [entry] = await entries();
    assert.deepEqual([entry.route, entry.state, entry.amountMinor], ['owned', 'pending', 12500]);
    assert.equal((await refundPosts()).length, 0, 'no Payments refund at a scale it does not speak');
    // Finance is told why (a card did pay it): not "no QuickBooks Payments charge paid the invoice".
    const slack = JSON.stringify(await sb.records('slack', (r) => r.method === 'POST' && r.path.endsWith('/chat.postMessage')));
    assert.match(slack, /does not refund KWD through QuickBooks Payments/);
    assert.doesNotMatch(slack, /no QuickBooks Payments (card )?charge paid/);
    await h.terminate('test done');
  });

  it('a lost answer (the refund made, its answer dropped) is retried with the same Request-Id: one refund, one RefundReceipt', async () => {
    await sb.faults('quickbooks-payments', { dropNext: 1 });
    const s = await settle(await start(acmeDuplicateRefund()));
    assert.equal(s.status, 'completed', JSON.stringify(s.reason));
    const posts = await refundPosts();
    assert.ok(posts.length >= 2, `the refund was sent again after its answer was lost (${posts.length} POSTs)`);
    assert.equal(new Set(posts.map((p) => p.headers['request-id'])).size, 1, 'every attempt sent the same Request-Id');
    assert.equal((await charge()).refunds.length, 1, 'Intuit made one refund');
    assert.equal((await receipts()).length, 1);
  });

  it('a reset of the completed case refunds nothing twice', async () => {
    const h = await start(acmeDuplicateRefund());
    assert.equal((await settle(h)).status, 'completed');
    const again = await settle(await resetCase(h, 'operator repairs a bad deploy'));
    assert.equal(again.status, 'completed', JSON.stringify(again.reason));
    assert.equal((await charge()).refunds.length, 1, 'one card refund across both runs');
    assert.equal((await receipts()).length, 1, 'one RefundReceipt across both runs');
    assert.ok((await refundPosts()).length <= 1, 'the reset run asked the ledger, not Intuit');
  });

  it('a declined refund releases the reservation, records nothing and tells nobody it was issued', async () => {
    await sb.control(`/quickbooks-payments/charges/${DUPLICATE_CHARGE}/behaviour`, { nextRefundStatus: 'DECLINED' });
    const s = await settle(await start(acmeDuplicateRefund()));
    assert.equal(s.status, 'needs_attention');
    assert.match(s.reason ?? '', /declined .*no money moved/);
    const [entry] = await entries();
    assert.equal(entry.state, 'released');
    assert.equal((await receipts()).length, 0);
    assert.doesNotMatch(await publicWords(), /We refunded|has been issued/);
    assert.doesNotMatch(await mails(), /We refunded|has been issued/);
  });

  it('a refund that is not final yet is read again until it is, then recorded', async () => {
    await sb.control(`/quickbooks-payments/charges/${DUPLICATE_CHARGE}/behaviour`, { nextRefundStatus: 'PENDING', pendingReads: 1 });
    const s = await settle(await start(acmeDuplicateRefund()));
    assert.equal(s.status, 'completed', JSON.stringify(s.reason));
    const reads = await sb.records('quickbooks-payments', (r) => r.method === 'GET' && /\/refunds\/[^/]+$/.test(r.path));
    assert.ok(reads.length >= 1, 'the refund was read again');
    assert.equal((await charge()).refunds[0].status, 'ISSUED');
    assert.equal((await receipts()).length, 1);
    assert.equal((await refundPosts()).length, 1, 'read, never refunded again');
  });

  describe('what the case says after its card refund (outside review, stop 27)', () => {
    const DOC = 'INV-CR27';
    beforeEach(async () => {
      // A card charge paid it twice (the duplicate automation needs): USD 20.00, automated.
      await seedPaidInvoice(sb.url, { docNumber: DOC, accountId: 'ACME-001', totalMinor: 2000, duplicatePayment: true });
    });
    const startAttested = (): Promise<WorkflowHandle> => {
      const input = caseInput('refund_request', {
        accountId: 'ACME-001',
        invoiceNumber: DOC,
        amount: { amountMinor: 2000, currency: 'USD' },
        refundReason: 'duplicate_charge',
      });
      const workflowId = `case-${input.caseType}-${randomUUID()}`;
      return client.workflow.start(WORKFLOW_TYPE[input.caseType], {
        args: [attested(input, workflowId)],
        taskQueue: worker.taskQueue,
        workflowId,
      });
    };
    const chargeOf = async () =>
      ((await sb.control('/quickbooks-payments/charges')) as ChargeView[]).find((c) => c.id === `CH${DOC.replace(/-/g, '')}`)!;
    const setCustomerCurrency = async (currency: string) => {
      const c = await sb.clients.quickbooks.find<{ Id: string; SyncToken: string }>('Customer', '101');
      await sb.clients.quickbooks.sparseUpdateCustomer('101', c!.SyncToken, { CurrencyRef: { value: currency } } as never, randomUUID());
    };
    const resetToStart = (h: WorkflowHandle) => resetCase(h, 'an operator runs the case again');

    it('QuickBooks refuses the RefundReceipt after the card was refunded: the case says the card was refunded and the record not written, and the reconciliation flags it (F1)', async () => {
      await sb.faults('quickbooks-payments', { latencyMs: 3000 });
      try {
        const h = await startAttested();
        for (let i = 0; i < 200 && (await refundPosts()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
        assert.equal((await refundPosts()).length, 1, 'the card refund reached Intuit');
        // A QuickBooks user edits the customer while Intuit answers: QuickBooks now refuses the RefundReceipt.
        await setCustomerCurrency('EUR');
        const s = await result(h);
        assert.equal(s.status, 'needs_attention', JSON.stringify(s.reason));
        const card = await chargeOf();
        assert.deepEqual(
          card.refunds.map((r) => r.status),
          ['ISSUED'],
        );
        assert.equal((await receipts()).length, 0, 'QuickBooks refused the RefundReceipt');
        const internal = JSON.stringify(await sb.records('zendesk', (r) => r.method !== 'GET'));
        assert.match(internal, new RegExp(`QuickBooks Payments refund ${card.refunds[0].id} ISSUED: USD 20\\.00 back to the card`));
        assert.match(internal, /Already done outside: [^"]*refund\.card-refund/);
        assert.match(internal, /Refused by the system \(not done\): [^"]*refund\.record/);
        assert.doesNotMatch(await publicWords(), /We refunded|has been issued|not able to issue/);
        assert.ok(s.records.some((r) => r.object === 'payments_refund'));
        // The case is closed and QuickBooks has no record of money that moved: the reconciliation says so.
        const report = (await client.workflow.execute(RECONCILE_WORKFLOW_TYPE, {
          args: [],
          taskQueue: worker.taskQueue,
          workflowId: `ledger-reconciliation-test-${randomUUID()}`,
        })) as ReconcileReport;
        const finding = report.findings.find((f) => f.kind === 'unrecorded_charge');
        assert.ok(finding, JSON.stringify(report.findings));
        assert.match(finding.detail, new RegExp(`QuickBooks Payments refund ${card.refunds[0].id} of charge ${card.id}`));
      } finally {
        await sb.faults('quickbooks-payments', {});
        await setCustomerCurrency('USD');
      }
    });

    it('a card refund PENDING first, ISSUED on the next read, then the RefundReceipt refused: the note lists the card refund as done (second review, N3)', async () => {
      await sb.control(`/quickbooks-payments/charges/CH${DOC.replace(/-/g, '')}/behaviour`, {
        nextRefundStatus: 'PENDING',
        pendingReads: 1,
      });
      try {
        const h = await startAttested();
        for (let i = 0; i < 200 && !(await entries())[0]?.refundId; i++) await new Promise((r) => setTimeout(r, 100));
        assert.equal((await entries())[0]?.refundStatus, 'PENDING');
        // While the case waits to read the refund again, the customer is edited: the RefundReceipt will be refused.
        await setCustomerCurrency('EUR');
        const s = await result(h);
        assert.equal(s.status, 'needs_attention', JSON.stringify(s.reason));
        assert.deepEqual(
          (await chargeOf()).refunds.map((r) => r.status),
          ['ISSUED'],
        );
        const internal = JSON.stringify(await sb.records('zendesk', (r) => r.method !== 'GET'));
        assert.match(internal, /Already done outside: [^"]*refund\.card-refund/);
        assert.match(internal, /Refused by the system \(not done\): [^"]*refund\.record/);
      } finally {
        await setCustomerCurrency('USD');
      }
    });

    it('an operator resets a completed automated card refund: the case goes on from its ledger entry, asks nobody and never says "not able to issue" (F2)', async () => {
      const h = await startAttested();
      assert.equal((await result(h)).status, 'completed');
      const again = await resetToStart(h);
      const s = await waitForState(again, (st) => st.pendingApproval !== undefined || isFinal(st.status), 60_000);
      assert.equal(s.pendingApproval, undefined, `no approval asked for the refund it made: ${JSON.stringify(s.pendingApproval)}`);
      assert.equal(s.status, 'completed', JSON.stringify(s.reason));
      assert.equal((await chargeOf()).refunds.length, 1, 'one card refund across both runs');
      assert.equal((await receipts()).length, 1, 'one RefundReceipt across both runs');
      const words = await publicWords();
      assert.doesNotMatch(words, /not able to issue|could not issue|already been refunded/);
      assert.match(words, /We refunded USD 20\.00 to your card/);
    });

    it('reset to after its ledger read: the approval asked again is rejected, yet the case goes on from its entry and never says "not able to issue" (second review, N2)', async () => {
      const h = await start(acmeDuplicateRefund());
      assert.equal((await settle(h)).status, 'completed');
      // The last workflow task before the approval request was posted: the ledger read is behind it.
      const again = await resetCase(h, 'an operator resets to a later point', (events) => {
        const post = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'postApprovalRequest')!;
        return [...events].reverse().find((e) => e.workflowTaskCompletedEventAttributes && Number(e.eventId) < Number(post.eventId));
      });
      const asked = await waitForState(again, (st) => st.pendingApproval?.slackMessage !== undefined || isFinal(st.status), 60_000);
      if (asked.pendingApproval)
        await decide(
          again,
          decision(asked.pendingApproval.requestId, APPROVER_1, DecisionAction.Reject, { reason: 'looks refunded already' }),
        );
      const s = await result(again);
      assert.equal(s.status, 'completed', JSON.stringify(s.reason));
      assert.equal((await charge()).refunds.length, 1, 'one card refund across both runs');
      assert.equal((await receipts()).length, 1, 'one RefundReceipt across both runs');
      assert.doesNotMatch(await publicWords(), /not able to issue|could not issue/);
    });

    it('a credit with no invoice, reset after it was recorded: the approval asked again is rejected, yet nothing is said untrue and nothing is credited twice (second review, N1)', async () => {
      const h = await start(
        caseInput('refund_request', {
          accountId: 'ACME-001',
          amount: { amountMinor: 3000, currency: 'USD' },
          refundReason: 'customer_request',
          creditRequest: true,
        }),
      );
      assert.equal((await settle(h)).status, 'completed');
      const memos = async () => (await sb.control('/quickbooks/entities/CreditMemo')) as { Id: string }[];
      const before = (await memos()).length;
      const again = await resetToStart(h);
      const asked = await waitForState(again, (st) => st.pendingApproval?.slackMessage !== undefined || isFinal(st.status), 60_000);
      if (asked.pendingApproval)
        await decide(again, decision(asked.pendingApproval.requestId, APPROVER_1, DecisionAction.Reject, { reason: 'already credited?' }));
      const s = await result(again);
      assert.equal(s.status, 'completed', JSON.stringify(s.reason));
      assert.equal((await memos()).length, before, 'no second CreditMemo');
      const words = await publicWords();
      assert.doesNotMatch(words, /not able to issue/);
      assert.match(words, /A credit of USD 30\.00 has been added to your account/);
    });

    it('reset while its card refund is PENDING: the case reads the refund until it is final, then records it; nobody is asked (F3)', async () => {
      await sb.control(`/quickbooks-payments/charges/CH${DOC.replace(/-/g, '')}/behaviour`, {
        nextRefundStatus: 'PENDING',
        pendingReads: 1,
      });
      const h = await startAttested();
      // Reset once Intuit answered PENDING and the ledger holds the refund (the case waits to read it again).
      for (let i = 0; i < 200 && !(await entries())[0]?.refundId; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal((await entries())[0]?.refundStatus, 'PENDING');
      const again = await resetToStart(h);
      const s = await waitForState(again, (st) => st.pendingApproval !== undefined || isFinal(st.status), 90_000);
      assert.equal(s.pendingApproval, undefined, 'no approval asked');
      const done = await result(again);
      assert.equal(done.status, 'completed', JSON.stringify(done.reason));
      const card = await chargeOf();
      assert.deepEqual(
        card.refunds.map((r) => r.status),
        ['ISSUED'],
        'the same refund, read until final',
      );
      assert.equal((await receipts()).length, 1);
      assert.doesNotMatch(await publicWords(), /not able to issue|could not issue/);
    });
  });

  describe('another payment platform: a person owns the return and confirms it', () => {
    const hooliRefund = (): CaseInput =>
      caseInput(
        'refund_request',
        {
          accountId: 'HOOLI-005',
          invoiceNumber: 'INV-H900',
          amount: { amountMinor: 20000, currency: 'USD' },
          refundReason: 'customer_request',
        },
        { policy: testPolicy({ approvalTimeoutMs: 8000, reminderIntervalMs: 60_000, escalateAfterMs: 60_000 }) },
      );
    beforeEach(async () => {
      // Hooli pays by bank transfer (the CRM says so); its invoice was paid outside QuickBooks Payments.
      await sb.control('/hubspot/contacts/505/properties', { payment_platform: 'bank_transfer' });
      await seedPaidInvoice(sb.url, { docNumber: 'INV-H900', accountId: 'HOOLI-005', totalMinor: 20000, paidBy: 'recorded' });
    });
    const approveRefund = async (h: WorkflowHandle) => {
      const s = await waitForState(
        h,
        (st) => st.pendingApproval?.kind === 'refund' && st.pendingApproval.slackMessage !== undefined,
        60_000,
      );
      await decide(h, decision(s.pendingApproval!.requestId, APPROVER_1, DecisionAction.Approve));
      return waitForState(
        h,
        (st) => st.pendingApproval?.kind === 'refund_returned' && st.pendingApproval.slackMessage !== undefined,
        60_000,
      );
    };
    const tasks = async () =>
      (await sb.control('/hubspot/objects/tasks')) as { properties: Record<string, string>; associations?: Record<string, string[]> }[];

    it('creates a HubSpot task for the owner with a due date and a "Money returned" button; nothing is recorded or said until an approver confirms', async () => {
      const h = await start(hooliRefund());
      const waiting = await approveRefund(h);
      const [task] = await tasks();
      assert.equal(task?.properties.hubspot_owner_id, '9001', 'owned by the account owner');
      assert.ok(Date.parse(task.properties.hs_timestamp) > Date.now(), 'with a due date ahead');
      assert.match(task.properties.hs_task_subject, /Return USD 200\.00 .*bank_transfer/);
      const posted = JSON.stringify(await sb.records('slack', (r) => r.path.endsWith('/chat.postMessage')));
      assert.match(posted, /Money returned/);
      const [entry] = await entries();
      assert.deepEqual([entry.route, entry.state], ['owned', 'pending'], 'money may be leaving: the reservation stands');
      assert.equal((await receipts()).length, 0);
      assert.doesNotMatch(await publicWords(), /We returned|has been issued/);
      const requestId = waiting.pendingApproval!.requestId;
      // Someone who is not an approver, and a click carrying the refund approval's subject, count for nothing.
      await assertRefused(decide(h, decision(requestId, NOT_APPROVER, DecisionAction.Approve)), DecisionRejection.NotAuthorized);
      await assertRefused(
        decide(
          h,
          decision(requestId, APPROVER_2, DecisionAction.Approve, {
            subject: {
              amountMinor: 20000,
              currency: 'USD',
              invoiceId: waiting.pendingApproval!.subject?.invoiceId,
              kind: 'refund_receipt',
            },
          }),
        ),
        DecisionRejection.StaleRequest,
      );
      assert.equal((await entries())[0].state, 'pending');
      await decide(h, decision(requestId, APPROVER_2, DecisionAction.Approve));
      const s = await result(h);
      assert.equal(s.status, 'completed', JSON.stringify(s.reason));
      const [settled] = await entries();
      assert.equal(settled.state, 'settled');
      assert.match(settled.evidence ?? '', /confirmed by Sam Ledger/);
      assert.deepEqual(
        (await receipts()).map((r) => r.TotalAmt),
        [200],
      );
      assert.match(await publicWords(), /We returned USD 200\.00 to you through bank transfer/);
      assert.equal(((await sb.control('/quickbooks-payments/charges')) as ChargeView[]).flatMap((c) => c.refunds).length, 0);
    });

    it("a CRM platform that is not a known platform's name never reaches the customer (attack F5)", async () => {
      const phishing = 'our new refund portal https://acme-refunds.evil.example/claim - log in with your card there';
      await sb.control('/hubspot/contacts/505/properties', { payment_platform: phishing });
      const h = await start(hooliRefund());
      await approveRefund(h);
      const waiting = await waitForState(h, (st) => st.pendingApproval?.kind === 'refund_returned', 60_000);
      await decide(h, decision(waiting.pendingApproval!.requestId, APPROVER_2, DecisionAction.Approve));
      assert.equal((await result(h)).status, 'completed');
      // What the customer can read: the ticket's public comments (internal notes keep the CRM's words for finance).
      const writes = await sb.records('zendesk', (r) => r.method !== 'GET');
      const customerReads = writes
        .map((r) => (r.body as { ticket?: { comment?: { body?: string; public?: boolean } } })?.ticket?.comment)
        .filter((c) => c?.body && c.public !== false)
        .map((c) => c!.body)
        .join('\n');
      assert.match(customerReads, /We returned USD 200\.00 to you the way you paid, as our finance team confirmed/);
      assert.doesNotMatch(customerReads, /evil\.example|refund portal/);
      assert.doesNotMatch(await mails(), /evil\.example|refund portal/);
    });

    it('cancelled by an operator while it waits for "Money returned": the confirmation is still heard, the money recorded, the case ends cancelled saying so (outside review G1)', async () => {
      const h = await start(hooliRefund());
      await approveRefund(h);
      const waiting = await waitForState(h, (st) => st.pendingApproval?.kind === 'refund_returned', 60_000);
      await h.cancel();
      await decide(h, decision(waiting.pendingApproval!.requestId, APPROVER_2, DecisionAction.Approve));
      // The execution ends cancelled (Temporal's status); the case's own state says what happened.
      await assert.rejects(h.result(), /cancelled/i);
      const s = await h.query(statusQuery);
      assert.equal(s.status, 'cancelled', JSON.stringify(s.reason));
      const [entry] = await entries();
      assert.deepEqual([entry.route, entry.state], ['owned', 'settled'], 'the return a person made is in the ledger');
      assert.deepEqual(
        (await receipts()).map((r) => r.TotalAmt),
        [200],
      );
      assert.match(JSON.stringify(s.reason), /returned|RefundReceipt|recorded/i, 'the ending says what happened to the money');
    });

    it('a reset of a case whose return was confirmed records nothing twice and still says "returned", never "issued" (outside review G2)', async () => {
      const h = await start(hooliRefund());
      await approveRefund(h);
      const waiting = await waitForState(h, (st) => st.pendingApproval?.kind === 'refund_returned', 60_000);
      await decide(h, decision(waiting.pendingApproval!.requestId, APPROVER_2, DecisionAction.Approve));
      assert.equal((await result(h)).status, 'completed');
      // The reset run asks again (the server may reapply some decisions after the reset point):
      // answer whatever it waits for until it ends.
      const again = await resetCase(h, 'operator repairs a bad deploy');
      const answered = new Set<string>();
      for (;;) {
        const st = await waitForState(
          again,
          (x) => isFinal(x.status) || (!!x.pendingApproval?.slackMessage && !answered.has(x.pendingApproval.requestId)),
          60_000,
        );
        if (isFinal(st.status)) break;
        answered.add(st.pendingApproval!.requestId);
        await decide(again, decision(st.pendingApproval!.requestId, APPROVER_2, DecisionAction.Approve)).catch(() => undefined);
      }
      const s = await result(again);
      assert.equal(s.status, 'completed', JSON.stringify(s.reason));
      assert.equal((await receipts()).length, 1, 'one RefundReceipt across both runs');
      const words = await publicWords();
      assert.doesNotMatch(words, /has been issued/);
      // The reset run writes the same sentence under the same step (the ticket keeps one copy), never another.
      assert.match(words, /We returned USD 200\.00 to you through bank transfer/);
    });

    it('nobody confirms in time: needs attention naming the owner, the reservation kept, the customer not told', async () => {
      const h = await start(hooliRefund());
      await approveRefund(h);
      const s = await result(h);
      assert.equal(s.status, 'needs_attention');
      assert.match(s.reason ?? '', /owned by Olivia Owner .*not confirmed returned/);
      const [entry] = await entries();
      assert.equal(entry.state, 'pending');
      assert.equal((await receipts()).length, 0);
      assert.doesNotMatch(await publicWords(), /We returned|has been issued/);
      // The reconciliation never releases it (the person may have returned the money): a finding once it is stuck.
      const pg = new PgClient({ connectionString: testLedgerUrl() });
      await pg.connect();
      try {
        await pg.query(`UPDATE ${worker.ledger.schema}.ledger_entries SET updated_at = now() - interval '31 minutes' WHERE key = $1`, [
          entry.key,
        ]);
      } finally {
        await pg.end();
      }
      const report = (await client.workflow.execute(RECONCILE_WORKFLOW_TYPE, {
        args: [],
        taskQueue: worker.taskQueue,
        workflowId: `ledger-reconciliation-test-${randomUUID()}`,
      })) as ReconcileReport;
      assert.deepEqual(report.released, []);
      assert.deepEqual(
        report.findings.map((f) => [f.kind, f.customerId]),
        [['card_refund_unknown', '105']],
      );
      assert.equal((await worker.ledger.get(entry.key))!.state, 'pending');
    });
  });
  describe('a QuickBooks customer whose invoice no card charge paid: the money is owned, not "issued" (issue 24, finding 4)', () => {
    const DOC = 'INV-CHK1';
    beforeEach(async () => {
      // Acme pays through QuickBooks (the CRM says so), but this invoice was paid by check: QuickBooks
      // recorded the payment (twice, the duplicate the automation needs) and no Payments charge exists.
      await seedPaidInvoice(sb.url, {
        docNumber: DOC,
        accountId: 'ACME-001',
        totalMinor: 2000,
        duplicatePayment: true,
        paidBy: 'recorded',
      });
    });
    const startAttested = (input: CaseInput): Promise<WorkflowHandle> => {
      const workflowId = `case-${input.caseType}-${randomUUID()}`;
      return client.workflow.start(WORKFLOW_TYPE[input.caseType], {
        args: [attested(input, workflowId)],
        taskQueue: worker.taskQueue,
        workflowId,
      });
    };
    const checkRefund = (fields: Partial<CaseInput['fields']> = {}) =>
      caseInput('refund_request', {
        accountId: 'ACME-001',
        invoiceNumber: DOC,
        amount: { amountMinor: 2000, currency: 'USD' },
        refundReason: 'duplicate_charge',
        ...fields,
      });

    it('an automated refund asks nobody to approve, but waits for finance\'s "Money returned" before anything is recorded or said', async () => {
      const h = await startAttested(checkRefund());
      const waiting = await waitForState(h, (st) => st.pendingApproval !== undefined || isFinal(st.status), 60_000);
      assert.equal(
        waiting.pendingApproval?.kind,
        'refund_returned',
        `automated, so the only request is the return: ${JSON.stringify(waiting)}`,
      );
      assert.equal(waiting.decisions.length, 0, 'automated: nobody approved the refund itself');
      const [entry] = await entries();
      assert.deepEqual([entry.route, entry.state], ['owned', 'pending'], 'no charge found: a person owns the return');
      assert.equal((await receipts()).length, 0, 'no RefundReceipt before the money is back');
      assert.doesNotMatch(await publicWords(), /We returned|has been issued|refunded/);
      const tasks = (await sb.control('/hubspot/objects/tasks')) as { properties: Record<string, string> }[];
      assert.equal(tasks.length, 1);
      assert.equal(tasks[0].properties.hubspot_owner_id, '9001', "Acme's account owner owns it");
      assert.match(tasks[0].properties.hs_task_subject, /Return USD 20\.00 to the customer the way the customer paid/);
      assert.doesNotMatch(tasks[0].properties.hs_task_subject, /through quickbooks/i);
      // A click by someone who is not a finance approver moves nothing.
      await assertRefused(
        decide(h, decision(waiting.pendingApproval!.requestId, NOT_APPROVER, DecisionAction.Approve)),
        DecisionRejection.NotAuthorized,
      );
      assert.equal((await entries())[0].state, 'pending');
      await confirmMoneyReturned(h, APPROVER_2);
      const s = await result(h);
      assert.equal(s.status, 'completed', JSON.stringify(s.reason));
      assert.deepEqual(
        (await receipts()).map((r) => r.TotalAmt),
        [20],
      );
      const [settled] = await entries();
      assert.equal(settled.state, 'settled');
      assert.match(settled.evidence ?? '', /confirmed by Sam Ledger/);
      const words = await publicWords();
      assert.match(words, /We returned USD 20\.00 to you the way you paid, as our finance team confirmed/);
      assert.doesNotMatch(words, /has been issued|to your card/);
      assert.equal((await refundPosts()).length, 0, 'no QuickBooks Payments refund was attempted');
    });

    it('a credit memo on the same invoice returns no money: the QuickBooks record alone, no return asked', async () => {
      const h = await start(checkRefund({ creditRequest: true, refundReason: 'customer_request' }));
      const s = await settle(h);
      assert.equal(s.status, 'completed', JSON.stringify(s.reason));
      const [entry] = await entries();
      assert.deepEqual([entry.kind, entry.route, entry.state], ['credit_memo', 'quickbooks', 'settled']);
      assert.equal(((await sb.control('/hubspot/objects/tasks')) as unknown[]).length, 0);
      assert.match(await publicWords(), /A credit of USD 20\.00 has been added to your account/);
    });

    it('an accepted dispute of it is returned by the owner and confirmed, and the customer reads that, not "refunded"', async () => {
      const h = await start(
        caseInput('charge_dispute', {
          accountId: 'ACME-001',
          invoiceNumber: DOC,
          amount: { amountMinor: 2000, currency: 'USD' },
          disputeReason: 'duplicate',
        }),
      );
      const s1 = await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined, 60_000);
      await decide(h, decision(s1.pendingApproval!.requestId, APPROVER_1, DecisionAction.Accept));
      const waiting = await waitForState(h, (st) => st.pendingApproval?.kind === 'refund_returned' || isFinal(st.status), 60_000);
      assert.equal(waiting.pendingApproval?.kind, 'refund_returned', JSON.stringify(waiting.reason));
      const [entry] = await entries();
      assert.deepEqual([entry.route, entry.state], ['owned', 'pending']);
      assert.doesNotMatch(await publicWords(), /We accepted your dispute/);
      const tasks = (await sb.control('/hubspot/objects/tasks')) as { properties: Record<string, string> }[];
      assert.equal(tasks[0]?.properties.hubspot_owner_id, '9001', 'the dispute hands the account owner to the money path');
      await confirmMoneyReturned(h);
      const s = await result(h);
      assert.equal(s.status, 'completed', JSON.stringify(s.reason));
      assert.match(
        await publicWords(),
        /We accepted your dispute and returned USD 20\.00 on invoice INV-CHK1 to you the way you paid, as our finance team confirmed\./,
      );
      assert.equal((await receipts()).length, 1);
    });

    it('an accepted dispute of an invoice a card charge paid is refunded to the card, and says so', async () => {
      const h = await start(
        caseInput('charge_dispute', {
          accountId: 'ACME-001',
          invoiceNumber: 'INV-1002',
          amount: { amountMinor: 45000, currency: 'USD' },
          disputeReason: 'duplicate',
        }),
      );
      const s1 = await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined, 60_000);
      await decide(h, decision(s1.pendingApproval!.requestId, APPROVER_1, DecisionAction.Accept));
      const s = await result(h);
      assert.equal(s.status, 'completed', JSON.stringify(s.reason));
      assert.deepEqual(
        (await charge()).refunds.map((r) => [r.status, r.amount]),
        [['ISSUED', '450.00']],
      );
      assert.match(
        await publicWords(),
        /We accepted your dispute and refunded USD 450\.00 on invoice INV-1002 to your card \(QuickBooks Payments\)\./,
      );
    });
  });
});
