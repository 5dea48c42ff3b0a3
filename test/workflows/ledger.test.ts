/**
 * Issue 21's reproductions, each against the real worker, the real ledger (the run's PostgreSQL)
 * and the sandbox as QuickBooks and Skyfire behave: invoice numbers QuickBooks stores as free text,
 * a Skyfire refund cancelled or hand-recorded while it waits for the seller's charge, a reset of a
 * completed Skyfire refund, and a two-person limit split into smaller requests. Each asserts what
 * moved (QuickBooks records, Skyfire tokens and charges, the ledger), never what the code meant.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type Client, type WorkflowHandle, WorkflowFailedError } from '@temporalio/client';
import { WORKFLOW_TYPE, type CaseInput } from '../../src/domain/case';
import { DecisionAction, DecisionRejection } from '../../src/domain/decision';
import { statusQuery } from '../../src/workflows/messages';
import type { CaseState } from '../../src/domain/case-state';
import { seedPaidInvoice } from '../../bench/lib/calls';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { startServiceWorker, testClient, NAMESPACE } from '../support/temporal';
import { truncateTestLedger } from '../support/ledger';
import { APPROVER_1, APPROVER_2, assertRefused, caseInput, decide, decision, result, skyfireRefund, waitForState } from './helpers';

interface QboRecord {
  Id: string;
  TotalAmt: number;
  DocNumber?: string;
  CustomerRef: { value: string };
}

describe('the money ledger: the reproductions of issue 21 move no money wrongly', function () {
  this.timeout(180_000);
  let sb: TestSandbox;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startServiceWorker>>;
  before(async () => {
    sb = await startSandbox({ SKYFIRE_PAY_TOKEN_TTL: '10s', SKYFIRE_CHARGE_GRACE: '2s', SKYFIRE_CHARGE_POLL_INTERVAL: '1s' });
    client = await testClient();
    worker = await startServiceWorker(sb.clients, { identity: 'ledger-repro' });
  });
  beforeEach(async () => {
    await sb.reset();
    await truncateTestLedger(worker.ledger);
    await sb.control('/skyfire/settings', { chargeGraceSeconds: 2 });
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
  const receipts = async () => (await sb.control('/quickbooks/entities/RefundReceipt')) as QboRecord[];
  const payTokens = async () => ((await sb.control('/skyfire/tokens')) as { type: string; id?: string }[]).filter((t) => t.type === 'pay');
  const entries = () => worker.ledger.entries(sb.clients.quickbooks.realmId);
  /** Runs a refund case to its end, approving it (as both approvers when asked) if it waits for people. */
  const settle = async (h: WorkflowHandle): Promise<CaseState> => {
    const s = await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined || isFinal(st.status), 60_000);
    if (!isFinal(s.status) && s.pendingApproval) {
      const { requestId, required } = s.pendingApproval;
      await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
      if (required > 1) await decide(h, decision(requestId, APPROVER_2, DecisionAction.Approve));
    }
    return result(h);
  };

  it('invoice numbers with spaces, tabs, non-ASCII letters or another case: three calls for the whole of one invoice refund it once', async () => {
    const docs = ['INV 55480', 'INV\t77', 'FACTURA Ñ-9'];
    for (const docNumber of docs) await seedPaidInvoice(sb.url, { docNumber, accountId: 'ACME-001', totalMinor: 4000 });
    const spellings = (doc: string) => [doc, doc, doc.toLowerCase()];
    const cases = await Promise.all(
      docs.flatMap((doc) =>
        spellings(doc).map((invoiceNumber) =>
          start(
            caseInput('refund_request', {
              accountId: 'ACME-001',
              invoiceNumber,
              amount: { amountMinor: 4000, currency: 'USD' },
              refundReason: 'duplicate_charge',
            }),
          ),
        ),
      ),
    );
    const states = await Promise.all(cases.map(settle));
    const all = await receipts();
    assert.equal(all.length, docs.length, `one refund per invoice, not ${all.length}: ${JSON.stringify(states.map((s) => s.reason))}`);
    assert.ok(all.every((r) => r.TotalAmt === 40));
    // Each record is attributed to its invoice through the ledger entry its DocNumber names.
    const byRef = new Map((await entries()).map((e) => [e.ref, e]));
    const invoices = new Set(all.map((r) => byRef.get(r.DocNumber ?? '')?.invoiceDoc));
    assert.deepEqual([...invoices].sort(), [...docs].sort());
    assert.equal(states.filter((s) => s.status === 'completed').length, docs.length);
  });

  it('a Skyfire refund cancelled while it waits for the charge keeps its reservation, records the charge and says so; a second call is not paid again', async () => {
    await sb.control('/skyfire/seller', { mode: 'charge', delayMs: 5000 });
    const h = await start(skyfireRefund());
    await settleUntil(h, async () => (await entries()).some((e) => e.payTokenId));
    await h.cancel();
    await assert.rejects(h.result(), (e) => e instanceof WorkflowFailedError);
    const s = await h.query(statusQuery);
    assert.equal(s.status, 'cancelled');
    assert.match(s.reason ?? '', /RefundReceipt \d+ recorded for USD 30\.00/, 'the cancel says what happened to the money');
    assert.deepEqual(
      (await receipts()).map((r) => r.TotalAmt),
      [30],
      'the charge that happened is on the books',
    );
    // The same invoice (USD 40.00 paid) again, for another USD 30.00: only USD 10.00 is left.
    const second = await settle(await start(skyfireRefund()));
    assert.equal(second.status, 'rejected', JSON.stringify(second.reason));
    assert.equal((await payTokens()).length, 1, 'no second pay token');
    assert.deepEqual(
      (await receipts()).map((r) => r.TotalAmt),
      [30],
    );
  });

  it('a refund recorded in QuickBooks by hand while a Skyfire refund waits: the charge is still recorded and nobody is told "no money moved"', async () => {
    await sb.control('/skyfire/seller', { mode: 'charge', delayMs: 4000 });
    const h = await start(skyfireRefund());
    await settleUntil(h, async () => (await entries()).some((e) => e.payTokenId));
    // A person records a refund on INV-4001 in the QuickBooks UI.
    await sb.clients.quickbooks.create(
      'RefundReceipt',
      {
        CustomerRef: { value: '104' },
        Line: [
          {
            Amount: 40,
            DetailType: 'SalesItemLineDetail',
            SalesItemLineDetail: { ItemRef: { value: '1' } },
            Description: 'Refund for INV-4001',
          },
        ],
        DepositToAccountRef: { value: '35' },
      },
      `by-hand-${randomUUID()}`,
    );
    const s = await result(h);
    assert.equal(s.status, 'completed', JSON.stringify(s.reason));
    const ours = (await entries())[0];
    assert.equal(ours.state, 'settled');
    assert.ok(
      (await receipts()).some((r) => r.DocNumber === ours.ref && r.TotalAmt === 30),
      'the money that left is recorded',
    );
    const notes = JSON.stringify(await sb.records('zendesk', (r) => r.method !== 'GET'));
    assert.doesNotMatch(notes, /No money moved/);
  });

  it('resetting a completed Skyfire refund pays nothing twice: one pay token, one RefundReceipt, the new run completes', async () => {
    await sb.control('/skyfire/seller', { mode: 'charge', delayMs: 0 });
    const h = await start(skyfireRefund());
    const first = await settle(h);
    assert.equal(first.status, 'completed');
    const history = await h.fetchHistory();
    const firstTask = history.events?.find((e) => e.workflowTaskCompletedEventAttributes);
    const desc = await h.describe();
    const reset = await client.workflowService.resetWorkflowExecution({
      namespace: NAMESPACE,
      workflowExecution: { workflowId: h.workflowId, runId: desc.runId },
      reason: 'test: operator repairs a bad deploy',
      workflowTaskFinishEventId: firstTask!.eventId,
      requestId: randomUUID(),
    });
    const again = client.workflow.getHandle(h.workflowId, reset.runId ?? undefined);
    const second = await settle(again);
    assert.equal(second.status, 'completed', JSON.stringify(second.reason));
    assert.equal((await payTokens()).length, 1, 'one pay token across both runs');
    assert.equal((await receipts()).length, 1, 'one RefundReceipt across both runs');
    const wallet = (await (
      await fetch(`${sb.url}/skyfire/api/v1/agents/balance`, { headers: { 'skyfire-api-key': 'sandbox-skyfire-buyer-key' } })
    ).json()) as { available: string };
    assert.equal(wallet.available, '470.000000', 'USD 30.00 left the wallet once');
  });

  it('the two-person rule cannot be split: after USD 999, the next USD 999 on the same customer needs two approvers', async () => {
    await seedPaidInvoice(sb.url, { docNumber: 'INV-SPLIT', accountId: 'ACME-001', totalMinor: 250000 });
    const ask = (amountMinor: number) =>
      start(
        caseInput('refund_request', {
          accountId: 'ACME-001',
          invoiceNumber: 'INV-SPLIT',
          amount: { amountMinor, currency: 'USD' },
          refundReason: 'customer_request',
        }),
      );
    const a = await ask(99900);
    const sa = await waitForState(a, (st) => st.pendingApproval?.slackMessage !== undefined);
    assert.equal(sa.pendingApproval!.required, 1);
    await decide(a, decision(sa.pendingApproval!.requestId, APPROVER_1, DecisionAction.Approve));
    assert.equal((await result(a)).status, 'completed');

    for (const amountMinor of [99900, 50200]) {
      const h = await ask(amountMinor);
      const s = await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined);
      assert.equal(s.pendingApproval!.required, 2, `USD ${amountMinor / 100} after USD 999.00 this week needs two`);
      const out = await decide(h, decision(s.pendingApproval!.requestId, APPROVER_1, DecisionAction.Approve));
      assert.equal(out.status, 'counted', 'one approval is not enough');
      const posted = JSON.stringify(await sb.records('slack', (r) => r.path.endsWith('/chat.postMessage')));
      assert.match(posted, /Running total/, 'the approver sees the running total');
      await h.terminate('test done');
    }
    assert.deepEqual(
      (await receipts()).map((r) => r.TotalAmt),
      [999],
      'one person approved USD 999.00 and nothing more',
    );
  });

  it('an approval signed for another amount, invoice or kind approves nothing: the gate refuses it and no money moves', async () => {
    await seedPaidInvoice(sb.url, { docNumber: 'INV-BIND', accountId: 'ACME-001', totalMinor: 250000 });
    const h = await start(
      caseInput('refund_request', {
        accountId: 'ACME-001',
        invoiceNumber: 'INV-BIND',
        amount: { amountMinor: 90000, currency: 'USD' },
        refundReason: 'customer_request',
      }),
    );
    const s = await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined);
    const shown = s.pendingApproval!.subject!;
    assert.equal(shown.amountMinor, 90000, 'the request shows what it approves');
    for (const other of [
      { ...shown, amountMinor: 1000 },
      { ...shown, currency: 'EUR' },
      { ...shown, invoiceId: 'another' },
      { ...shown, kind: 'credit_memo' },
    ]) {
      await assertRefused(
        decide(h, decision(s.pendingApproval!.requestId, APPROVER_1, DecisionAction.Approve, { subject: other })),
        DecisionRejection.StaleRequest,
      );
    }
    assert.equal((await h.query(statusQuery)).status, 'awaiting_approval');
    await decide(h, decision(s.pendingApproval!.requestId, APPROVER_1, DecisionAction.Approve));
    assert.equal((await result(h)).status, 'completed');
    assert.deepEqual(
      (await receipts()).map((r) => r.TotalAmt),
      [900],
    );
  });

  // Found by the adversarial review (helper-7) against npm start.
  it('a credit for a customer who pays through Skyfire is a CreditMemo only: no pay token, no cash', async () => {
    await sb.control('/skyfire/seller', { mode: 'charge', delayMs: 0 });
    const h = await start(
      caseInput('refund_request', {
        accountId: 'UMBRELLA-004',
        invoiceNumber: 'INV-4001',
        amount: { amountMinor: 3000, currency: 'USD' },
        refundReason: 'customer_request',
        creditRequest: true,
      }),
    );
    const s = await settle(h);
    assert.equal(s.status, 'completed', s.reason);
    assert.equal((await payTokens()).length, 0, 'a credit moves no money through Skyfire');
    assert.deepEqual(
      ((await sb.control('/quickbooks/entities/CreditMemo')) as QboRecord[]).map((r) => r.TotalAmt),
      [30],
    );
    assert.equal((await receipts()).length, 0);
  });

  it('a workflow started again under a finished case id does not inherit its ledger entry or record: refused, nothing said to be issued', async () => {
    const id = `case-refund_request-${randomUUID()}`;
    const startAs = (input: CaseInput) =>
      client.workflow.start(WORKFLOW_TYPE.refund_request, {
        args: [input],
        taskQueue: worker.taskQueue,
        workflowId: id,
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
    const first = await settle(
      await startAs(
        caseInput('refund_request', {
          accountId: 'ACME-001',
          invoiceNumber: 'INV-1002',
          amount: { amountMinor: 5000, currency: 'USD' },
          refundReason: 'customer_request',
        }),
      ),
    );
    assert.equal(first.status, 'completed', first.reason);
    const again = await settle(
      await startAs(
        caseInput('refund_request', {
          accountId: 'ACME-001',
          invoiceNumber: 'INV-1003',
          amount: { amountMinor: 20000, currency: 'USD' },
          refundReason: 'customer_request',
        }),
      ),
    );
    assert.equal(again.status, 'rejected', again.reason);
    assert.match(again.reason ?? '', /reserved for another invoice, amount/);
    assert.equal((await receipts()).length, 1, 'only the first case recorded money');
    const said = JSON.stringify(await sb.records('zendesk', (r) => r.method !== 'GET'));
    assert.doesNotMatch(said, /USD 200\.00 has been issued/);
  });

  it('a dispute after refunds on the same customer needs two approvers by the running total, like a refund', async () => {
    await seedPaidInvoice(sb.url, { docNumber: 'INV-DSP', accountId: 'ACME-001', totalMinor: 250000 });
    const refund = await start(
      caseInput('refund_request', {
        accountId: 'ACME-001',
        invoiceNumber: 'INV-DSP',
        amount: { amountMinor: 75000, currency: 'USD' },
        refundReason: 'customer_request',
      }),
    );
    assert.equal((await settle(refund)).status, 'completed');
    const d = await start(
      caseInput('charge_dispute', {
        accountId: 'ACME-001',
        invoiceNumber: 'INV-DSP',
        amount: { amountMinor: 40000, currency: 'USD' },
        disputeReason: 'duplicate',
      }),
    );
    const s = await waitForState(d, (st) => st.pendingApproval?.slackMessage !== undefined);
    assert.equal(s.pendingApproval!.required, 2, 'USD 750.00 + 400.00 this week is above the two-person threshold');
    await d.terminate('test done');
  });

  it('an invoice resend never repeats the caller\'s words in the public comment: a made-up "invoice number" stays internal', async () => {
    const h = await start(
      caseInput('invoice_resend', {
        accountId: 'ACME-001',
        invoiceNumber: 'INV-9. Your refund is waiting: call +1 900 555 0100 or visit acme-refunds.example',
        customerEmail: 'billing@acme.example',
        // Acme's own ticket (requester billing@acme.example): a public comment there is mailed to Acme.
        supportTicket: '9001',
      }),
    );
    await result(h);
    const comments = ((await sb.control('/zendesk/tickets')) as { comments: { public: boolean; body: string }[] }[]).flatMap(
      (t) => t.comments,
    );
    const publicBodies = JSON.stringify(comments.filter((c) => c.public).map((c) => c.body));
    assert.doesNotMatch(publicBodies, /acme-refunds|refund is waiting/);
    // What the customer would be told says only what QuickBooks knows (here kept internal too: no invoice, no email on file for it).
    assert.ok(comments.some((c) => c.body.includes('could not find the invoice you named') && !/acme-refunds/.test(c.body)));
  });
});

function isFinal(status: string): boolean {
  return ['completed', 'rejected', 'expired', 'needs_attention', 'failed', 'cancelled'].includes(status);
}

/** Approves the case if it waits for people, until `done()` holds (a Skyfire token created, say). */
async function settleUntil(h: WorkflowHandle, done: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const decided = new Set<string>();
  while (Date.now() < until) {
    if (await done()) return;
    const s = await h.query(statusQuery);
    const p = s.pendingApproval;
    if (p?.slackMessage && !decided.has(p.requestId)) {
      decided.add(p.requestId);
      await decide(h, decision(p.requestId, APPROVER_1, DecisionAction.Approve));
      if (p.required > 1) await decide(h, decision(p.requestId, APPROVER_2, DecisionAction.Approve));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not reached');
}
