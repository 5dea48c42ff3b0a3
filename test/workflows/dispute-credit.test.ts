/**
 * Issue 24, finding 3: a dispute follows the money that was paid. Against the real worker, the real
 * ledger and the sandbox's QuickBooks (which applies a credit memo through a Payment of 0 and
 * lowers the invoice's Balance, as Intuit documents): an unpaid invoice is credited, not refunded;
 * a paid one is refunded; a part-paid one gets both legs with the right amounts; two disputes on
 * one unpaid invoice never credit more than its balance; a retried credit step writes one credit.
 * Every sentence checked here is checked against what QuickBooks recorded.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WORKFLOW_TYPE, type CaseInput } from '../../src/domain/case';
import { DecisionAction, DecisionRejection } from '../../src/domain/decision';
import { statusQuery } from '../../src/workflows/messages';
import type { CaseState } from '../../src/domain/case-state';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { startServiceWorker, testClient, NAMESPACE } from '../support/temporal';
import { truncateTestLedger } from '../support/ledger';
import {
  APPROVER_1,
  APPROVER_2,
  assertRefused,
  attested,
  caseInput,
  confirmMoneyReturned,
  decide,
  decision,
  result,
  waitForState,
} from './helpers';

interface QboTxn {
  Id: string;
  TotalAmt: number;
  DocNumber?: string;
  Balance?: number;
  RemainingCredit?: number;
  CustomerRef: { value: string };
  Line: { Amount: number; Description?: string; LinkedTxn?: { TxnId: string; TxnType: string }[] }[];
}

describe('disputes follow the money that was paid (issue 24, finding 3)', function () {
  this.timeout(180_000);
  let sb: TestSandbox;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startServiceWorker>>;
  before(async () => {
    sb = await startSandbox();
    client = await testClient();
    worker = await startServiceWorker(sb.clients, { identity: 'dispute-credit' });
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

  const start = (input: CaseInput, workflowId = `case-${input.caseType}-${randomUUID()}`): Promise<WorkflowHandle> =>
    client.workflow.start(WORKFLOW_TYPE[input.caseType], { args: [attested(input, workflowId)], taskQueue: worker.taskQueue, workflowId });
  const dispute = (fields: Partial<CaseInput['fields']> = {}) =>
    start(
      caseInput('charge_dispute', {
        accountId: 'GLOBEX-002',
        invoiceNumber: 'INV-2001',
        amount: { amountMinor: 240000, currency: 'USD' },
        disputeReason: 'service_not_delivered',
        ...fields,
      }),
    );
  const entities = async (e: string) => (await sb.control(`/quickbooks/entities/${e}`)) as QboTxn[];
  const invoice = async (id: string) => (await entities('Invoice')).find((i) => i.Id === id)!;
  /** Waits for the Accept request and accepts it as many times as it needs (with the subject shown on the button). */
  const accept = async (h: WorkflowHandle): Promise<void> => {
    const s = await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined, 60_000);
    const { requestId, required } = s.pendingApproval!;
    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Accept));
    if (required > 1) await decide(h, decision(requestId, APPROVER_2, DecisionAction.Accept));
  };
  const slackOf = async (h: WorkflowHandle) =>
    JSON.stringify(await sb.records('slack', (r) => JSON.stringify(r.body ?? '').includes(h.workflowId)));
  /** The public comments of the case's own ticket (what the customer reads). */
  const publicOf = async (s: CaseState) => {
    const ticketId = s.records.find((r) => r.system === 'zendesk')?.id;
    const tickets = (await sb.control('/zendesk/tickets')) as { id: number | string; comments: { public: boolean; body: string }[] }[];
    const t = tickets.find((x) => String(x.id) === String(ticketId));
    return (t?.comments ?? []).filter((c) => c.public).map((c) => c.body);
  };
  const appliedBy = async (creditMemoId: string) =>
    (await entities('Payment')).filter((p) =>
      p.Line.some((l) => l.LinkedTxn?.some((t) => t.TxnType === 'CreditMemo' && t.TxnId === creditMemoId)),
    );

  it('an unpaid invoice: the message says nothing was paid and Accept credits it; the credit memo is applied, the balance is 0, nothing is refunded', async () => {
    const h = await dispute();
    const waiting = await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined);
    assert.equal(waiting.pendingApproval!.subject?.kind, 'balance_credit', 'what is approved is a credit against the balance');
    const posted = await slackOf(h);
    assert.match(posted, /USD 0\.00 of USD 2,400\.00 paid, USD 2,400\.00 open/);
    assert.match(posted, /credit the unpaid USD 2,400\.00 against the invoice/);
    assert.doesNotMatch(posted, /Accept \(refund\)/);
    await accept(h);
    const s = await result(h);
    assert.equal(s.status, 'completed', s.reason);

    assert.equal((await entities('RefundReceipt')).length, 0, 'no RefundReceipt');
    const memos = await entities('CreditMemo');
    assert.equal(memos.length, 1);
    assert.equal(memos[0].TotalAmt, 2400);
    assert.equal(memos[0].RemainingCredit, 0, 'the whole credit is applied');
    const [payment] = await appliedBy(memos[0].Id);
    assert.ok(payment, 'a Payment links the credit memo');
    assert.equal(payment.TotalAmt, 0, 'no money was received: the payment only applies the credit');
    assert.ok(payment.Line.some((l) => l.LinkedTxn?.some((t) => t.TxnType === 'Invoice' && t.TxnId === '2001')));
    assert.equal((await invoice('2001')).Balance, 0, 'nothing owed on INV-2001 any more');

    const said = (await publicOf(s)).join('\n');
    assert.match(said, /We accepted your dispute and credited USD 2,400\.00 against invoice INV-2001, so that amount is no longer owed\./);
    assert.doesNotMatch(said, /refund/i, 'nothing was refunded and nobody says so');
    assert.doesNotMatch(await slackOf(h), /already been refunded|Not refunded/);
    const [entry] = await worker.ledger.entries(sb.clients.quickbooks.realmId);
    assert.equal(entry.kind, 'balance_credit');
    assert.equal(entry.state, 'settled');
    assert.equal(entry.recordId, memos[0].Id);
    assert.equal(memos[0].DocNumber, entry.ref, 'the reconciliation attributes the credit memo to its entry by DocNumber');
  });

  it('a paid invoice: Accept refunds what was paid, as before (no credit memo)', async () => {
    const h = await dispute({ accountId: 'ACME-001', invoiceNumber: 'INV-1002', amount: { amountMinor: 45000, currency: 'USD' } });
    const waiting = await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined);
    assert.equal(waiting.pendingApproval!.subject?.kind, 'refund_receipt');
    assert.match(await slackOf(h), /refunds USD 450\.00/);
    await accept(h);
    const s = await result(h);
    assert.equal(s.status, 'completed', s.reason);
    assert.deepEqual(
      (await entities('RefundReceipt')).map((r) => r.TotalAmt),
      [450],
    );
    assert.equal((await entities('CreditMemo')).length, 0);
    assert.match(
      (await publicOf(s)).join('\n'),
      /We accepted your dispute and refunded USD 450\.00 on invoice INV-1002 to your card \(QuickBooks Payments\)\./,
    );
  });

  it('a paid invoice disputed for more than was paid: the approver is warned, and Accept refunds nothing and says why', async () => {
    const h = await dispute({ accountId: 'ACME-001', invoiceNumber: 'INV-1002', amount: { amountMinor: 50000, currency: 'USD' } });
    await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined);
    assert.match(await slackOf(h), /only USD 450\.00 paid on the invoice is left to refund: accepting USD 500\.00 will be refused/);
    await accept(h);
    const s = await result(h);
    assert.equal(s.status, 'rejected', s.reason);
    assert.match(s.reason ?? '', /USD 500\.00 is more than what is left to refund on INV-1002/);
    assert.equal((await entities('RefundReceipt')).length, 0);
  });

  it('a part-paid invoice: the unpaid part is credited against the balance and the paid part refunded, with the amounts QuickBooks recorded', async () => {
    // Acme pays through QuickBooks: 50.00 of INV-1001 (120.00) paid, 70.00 open.
    // The payment is one QuickBooks only recorded (no QuickBooks Payments charge): the refund leg is
    // returned by the account owner and confirmed by finance before the customer is told.
    await sb.control('/quickbooks/invoices/1001/pay', { amountMinor: 5000 });
    assert.equal((await invoice('1001')).Balance, 70);
    const h = await dispute({ accountId: 'ACME-001', invoiceNumber: 'INV-1001', amount: { amountMinor: 12000, currency: 'USD' } });
    const waiting = await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined);
    assert.equal(waiting.pendingApproval!.subject?.kind, 'balance_credit:7000+refund_receipt:5000');
    const posted = await slackOf(h);
    assert.match(posted, /USD 50\.00 of USD 120\.00 paid, USD 70\.00 open/);
    assert.match(posted, /credit the unpaid USD 70\.00 against the invoice, and refund USD 50\.00 of what was paid/);
    await accept(h);
    await confirmMoneyReturned(h);
    const s = await result(h);
    assert.equal(s.status, 'completed', s.reason);
    const memos = await entities('CreditMemo');
    assert.deepEqual(
      memos.map((m) => [m.TotalAmt, m.RemainingCredit]),
      [[70, 0]],
    );
    assert.deepEqual(
      (await entities('RefundReceipt')).map((r) => r.TotalAmt),
      [50],
    );
    assert.equal((await invoice('1001')).Balance, 0);
    assert.match(
      (await publicOf(s)).join('\n'),
      /credited USD 70\.00 against invoice INV-1001, so that amount is no longer owed, and returned USD 50\.00 of what was paid to you the way you paid, as our finance team confirmed\./,
    );
    const kinds = (await worker.ledger.entries(sb.clients.quickbooks.realmId)).map((e) => [e.step, e.kind, e.state, e.amountMinor]).sort();
    assert.deepEqual(kinds, [
      ['dispute.credit.record', 'balance_credit', 'settled', 7000],
      ['dispute.refund.record', 'refund_receipt', 'settled', 5000],
    ]);
  });

  it("an Accept signed for a refund, or for another split, does not approve the dispute's credit: the gate refuses it", async () => {
    await sb.control('/quickbooks/invoices/1001/pay', { amountMinor: 5000 });
    const h = await dispute({ accountId: 'ACME-001', invoiceNumber: 'INV-1001', amount: { amountMinor: 12000, currency: 'USD' } });
    const s = await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined);
    const shown = s.pendingApproval!.subject!;
    for (const other of [
      { ...shown, kind: 'refund_receipt' },
      { ...shown, kind: 'balance_credit' },
      { ...shown, kind: 'balance_credit:2000+refund_receipt:10000' },
    ]) {
      await assertRefused(
        decide(h, decision(s.pendingApproval!.requestId, APPROVER_1, DecisionAction.Accept, { subject: other })),
        DecisionRejection.StaleRequest,
      );
    }
    assert.equal((await h.query(statusQuery)).status, 'awaiting_approval');
    assert.equal((await entities('CreditMemo')).length + (await entities('RefundReceipt')).length, 0, 'nothing moved');
    await h.terminate('test done');
  });

  it('two disputes of one unpaid invoice, both accepted at once: one credit, never more than the balance; the other says truthfully that nothing more was credited', async () => {
    const a = await dispute();
    const b = await dispute();
    await Promise.all([accept(a), accept(b)]);
    const states = await Promise.all([result(a), result(b)]);
    const won = states.filter((s) => s.status === 'completed');
    const lost = states.filter((s) => s.status === 'rejected');
    assert.equal(won.length, 1, JSON.stringify(states.map((s) => [s.status, s.reason])));
    assert.equal(lost.length, 1);
    assert.match(lost[0].reason ?? '', /not credited: nothing is open to credit on INV-2001|not credited: .*more than what is left open/);
    assert.deepEqual(
      (await entities('CreditMemo')).map((m) => m.TotalAmt),
      [2400],
      'one credit memo',
    );
    assert.equal((await entities('RefundReceipt')).length, 0);
    assert.equal((await invoice('2001')).Balance, 0);
    const said = (await publicOf(lost[0])).join('\n');
    assert.match(said, /the open balance of the invoice has already been credited or paid/);
    assert.doesNotMatch(said, /refunded/);
    const loser = lost[0] === states[0] ? a : b;
    assert.match(await slackOf(loser), /Not credited: /);
  });

  it('a credit step whose answers are lost (the credit memo, then its application) writes one credit memo and applies it once', async () => {
    // QuickBooks writes the credit memo and its answer never arrives: the retry finds it by DocNumber
    // (the ledger entry's ref) and applies it, instead of writing a second one.
    await sb.faults('quickbooks', { dropNext: 1, nextMatch: 'Credit against the balance of invoice INV-2001' });
    const h = await dispute();
    await accept(h);
    const s = await result(h);
    assert.equal(s.status, 'completed', s.reason);
    const memos = await entities('CreditMemo');
    assert.equal(memos.length, 1, 'one credit memo');
    const posts = await sb.records('quickbooks', (r) => r.method === 'POST' && /\/creditmemo$/.test(r.path));
    assert.deepEqual(
      posts.map((r) => (r as { dropped?: boolean }).dropped === true),
      [true],
      'the one create was written and its answer lost',
    );
    assert.equal((await appliedBy(memos[0].Id)).length, 1, 'applied once');
    assert.equal((await invoice('2001')).Balance, 0);

    // The application's answer is lost on another unpaid invoice: the retry finds the memo with no
    // credit remaining (applied) and settles on it, without a second Payment.
    await sb.faults('quickbooks', { dropNext: 1, nextMatch: '"TxnType":"CreditMemo"' });
    const i = await dispute({ accountId: 'INITECH-003', invoiceNumber: 'INV-3001', amount: { amountMinor: 89900, currency: 'USD' } });
    await accept(i);
    const si = await result(i);
    assert.equal(si.status, 'completed', si.reason);
    const memo = (await entities('CreditMemo')).find((m) => m.CustomerRef.value === '103')!;
    const applications = await appliedBy(memo.Id);
    assert.equal(applications.length, 1, 'applied once');
    assert.ok(
      (await sb.records('quickbooks', (r) => r.method === 'POST' && /\/payment$/.test(r.path))).some(
        (r) => (r as { dropped?: boolean }).dropped === true,
      ),
      'the application answer was lost',
    );
    assert.equal((await invoice('3001')).Balance, 0);
    assert.match((await publicOf(si)).join('\n'), /credited USD 899\.00 against invoice INV-3001/);

    // And an operator's reset of the case to the task that started its money path (after the
    // Accept): the new run re-runs the credit step, finds its settled entry and writes nothing.
    const history = await h.fetchHistory();
    const events = history.events ?? [];
    const reserveAt = events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'reserveMoney');
    const beforeMoney = events
      .slice(0, reserveAt)
      .reverse()
      .find((e) => e.workflowTaskCompletedEventAttributes);
    assert.ok(beforeMoney, 'the task that scheduled the reservation');
    const desc = await h.describe();
    const reset = await client.workflowService.resetWorkflowExecution({
      namespace: NAMESPACE,
      workflowExecution: { workflowId: h.workflowId, runId: desc.runId },
      reason: 'test: operator repairs a bad deploy',
      workflowTaskFinishEventId: beforeMoney.eventId,
      requestId: randomUUID(),
    });
    const again = client.workflow.getHandle(h.workflowId, reset.runId ?? undefined);
    const s2 = await result(again);
    assert.equal(s2.status, 'completed', s2.reason);
    assert.equal((await entities('CreditMemo')).length, 2, 'still one credit memo per case after the reset (INV-2001, INV-3001)');
    assert.equal((await appliedBy(memos[0].Id)).length, 1, 'and applied once');
    assert.equal((await entities('RefundReceipt')).length, 0, 'no refund of money that was never paid');
    assert.match((await publicOf(s2)).join('\n'), /credited USD 2,400\.00 against invoice INV-2001/);
  });

  it('a dispute of an invoice already credited in full: Accept moves nothing and says so (no "already refunded")', async () => {
    const first = await dispute();
    await accept(first);
    assert.equal((await result(first)).status, 'completed');
    const h = await dispute();
    const posted = await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined).then(() => slackOf(h));
    assert.match(posted, /credits and refunds nothing: nothing is owed on the invoice/);
    assert.match(posted, /USD 0\.00 of USD 2,400\.00 paid, USD 2,400\.00 credited, USD 0\.00 open/, 'our own credit is not shown as paid');
    await accept(h);
    const s = await result(h);
    assert.equal(s.status, 'completed', s.reason);
    const said = (await publicOf(s)).join('\n');
    assert.match(said, /Invoice INV-2001 has nothing owed on it, and what was paid on it has already been refunded or credited/);
    assert.doesNotMatch(said, /the payment has already been refunded/);
    assert.deepEqual(
      (await entities('CreditMemo')).map((m) => m.TotalAmt),
      [2400],
    );
    assert.equal((await entities('RefundReceipt')).length, 0);
  });

  it('an invoice voided in QuickBooks before Accept: nothing is open, nothing is credited, and the customer is told so', async () => {
    const h = await dispute();
    await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined);
    // Someone voids INV-2001 in QuickBooks meanwhile (Intuit: the invoice stays, its amounts become 0).
    const inv = await invoice('2001');
    const res = await fetch(`${sb.url}/quickbooks/v3/company/${sb.clients.quickbooks.realmId}/invoice?operation=void&minorversion=75`, {
      method: 'POST',
      headers: { authorization: 'Bearer sandbox-qbo-access-token', 'content-type': 'application/json' },
      body: JSON.stringify({ Id: '2001', SyncToken: (inv as unknown as { SyncToken: string }).SyncToken }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const voided = await invoice('2001');
    assert.deepEqual([voided.TotalAmt, voided.Balance], [0, 0]);
    assert.match(String((voided as unknown as { PrivateNote?: string }).PrivateNote), /^Voided/);
    await accept(h);
    const s = await result(h);
    assert.equal(s.status, 'rejected', s.reason);
    assert.match(s.reason ?? '', /not credited: nothing is open to credit on INV-2001/);
    assert.equal((await entities('CreditMemo')).length, 0);
    assert.equal((await entities('RefundReceipt')).length, 0);
  });
});
